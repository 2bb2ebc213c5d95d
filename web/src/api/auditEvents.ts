import { apiRequest } from './client';
import { PAGE_SIZE } from './customers';
import type { AuditEvent, AuditEventFilters, Page } from './types';

const base = '/api/v1/audit-events';

/** A page of the audit log, newest first; the server keeps to what the caller may see. */
export function listAuditEvents(
  filters: AuditEventFilters,
  params: { cursor?: string; limit?: number },
  signal?: AbortSignal,
): Promise<Page<AuditEvent>> {
  return apiRequest<Page<AuditEvent>>(base, {
    query: {
      customerId: filters.customerId,
      actorUserId: filters.actorUserId,
      action: filters.action,
      from: filters.from,
      until: filters.until,
      cursor: params.cursor,
      limit: params.limit ?? PAGE_SIZE,
    },
    signal,
  });
}
