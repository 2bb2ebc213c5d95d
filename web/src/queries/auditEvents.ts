import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { auditEventsApi, type AuditEventFilters } from '../api';
import { queryKeys } from '../lib/queryKeys';

/** The audit log, newest first, a page at a time. */
export function useAuditEventList(filters: AuditEventFilters) {
  return useInfiniteQuery({
    queryKey: queryKeys.auditEventList(filters),
    queryFn: ({ pageParam, signal }) => auditEventsApi.listAuditEvents(filters, { cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (lastPage) => lastPage.nextCursor ?? undefined,
    placeholderData: keepPreviousData,
    // Any change anywhere adds an entry: coming back to the page always asks again.
    staleTime: 0,
    // The page itself says when the customer filtered by is not one the user sees (a stale link).
    meta: { errorTitle: 'Could not load the audit log', silentStatuses: [404] },
  });
}
