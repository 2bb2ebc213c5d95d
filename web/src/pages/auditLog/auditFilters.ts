import type { AuditEventFilters } from '../../api';
import { isAuditAction } from './auditActions';

/**
 * The Audit log keeps its filters in the URL, so a filtered log can be reloaded or shared, and
 * a customer's page can link to its own entries:
 *
 *   /audit-log?customerId=&actorUserId=&action=&from=2026-03-01&until=2026-03-31
 *
 * `from` and `until` are days where the user is, both included.
 */
export type AuditParam = 'customerId' | 'actorUserId' | 'action' | 'from' | 'until';

export const AUDIT_PARAMS: readonly AuditParam[] = ['customerId', 'actorUserId', 'action', 'from', 'until'];

/** The filters as the URL holds them: days as the date inputs give them ("2026-03-04"). */
export interface AuditLogFilters {
  customerId?: string;
  actorUserId?: string;
  action?: AuditEventFilters['action'];
  fromDay?: string;
  untilDay?: string;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function day(value: string | null): string | undefined {
  return value && DAY.test(value) && !Number.isNaN(new Date(`${value}T00:00:00`).getTime()) ? value : undefined;
}

export function readAuditFilters(params: URLSearchParams): AuditLogFilters {
  const action = params.get('action');
  return {
    customerId: params.get('customerId') || undefined,
    actorUserId: params.get('actorUserId') || undefined,
    action: isAuditAction(action) ? action : undefined,
    fromDay: day(params.get('from')),
    untilDay: day(params.get('until')),
  };
}

/** `params` with the given filters changed (undefined removes one). */
export function writeAuditFilters(
  params: URLSearchParams,
  changes: Partial<Record<AuditParam, string | undefined>>,
): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const [name, value] of Object.entries(changes)) {
    if (value) next.set(name, value);
    else next.delete(name);
  }
  return next;
}

/** What the server is asked: from the start of the first day to the start of the day after the last. */
export function toQuery(filters: AuditLogFilters): AuditEventFilters {
  return {
    customerId: filters.customerId,
    actorUserId: filters.actorUserId,
    action: filters.action,
    from: filters.fromDay ? startOfDay(filters.fromDay, 0) : undefined,
    until: filters.untilDay ? startOfDay(filters.untilDay, 1) : undefined,
  };
}

/** The start of the day `days` after "2026-03-04", where the user is, as an ISO date-time. */
function startOfDay(value: string, days: number): string {
  const date = new Date(`${value}T00:00:00`);
  date.setDate(date.getDate() + days);
  return date.toISOString();
}
