import { useInfiniteQuery, useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { sitesApi, type Site } from '../api';
import { queryKeys } from '../lib/queryKeys';

export function useSiteList(customerId: string, options: { enabled?: boolean } = {}) {
  return useInfiniteQuery({
    enabled: options.enabled ?? true,
    queryKey: queryKeys.siteList(customerId),
    queryFn: ({ pageParam, signal }) => sitesApi.listSites(customerId, { cursor: pageParam }, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (lastPage) => lastPage.nextCursor ?? undefined,
    meta: { errorTitle: 'Could not load sites' },
  });
}

/** Sites changed: refresh this customer's sites and every view that shows a site count. */
function refreshAfterSiteChange(queryClient: QueryClient, customerId: string) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: queryKeys.siteList(customerId) }),
    queryClient.invalidateQueries({ queryKey: queryKeys.customer(customerId) }),
    queryClient.invalidateQueries({ queryKey: queryKeys.customerLists }),
  ]);
}

export function useCreateSite(customerId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => sitesApi.createSite(customerId, name),
    onSuccess: () => refreshAfterSiteChange(queryClient, customerId),
  });
}

export function useRenameSite(customerId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, name }: { id: string; name: string }) => sitesApi.renameSite(id, name),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.siteList(customerId) }),
  });
}

export function useDeleteSite(customerId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (site: Site) => sitesApi.deleteSite(site.id),
    onSuccess: () => refreshAfterSiteChange(queryClient, customerId),
  });
}
