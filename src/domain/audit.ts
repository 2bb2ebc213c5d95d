import { randomBytes } from 'node:crypto';
import type { Page, PageRequest } from '../store/paging.js';
import type { AuditEvent, AuditEventRepository, AuditFilter } from '../store/repositories/audit-events.js';
import type { Clock } from './clock.js';
import { ValidationError } from './errors.js';
import { customerScope, requireCustomerAccess, type Principal } from './principal.js';

export type { AuditEvent };

/**
 * Every action the audit trail records: the one list the API schema, the filters and the web
 * app derive from. Changes people make, and those Orchard decides itself (`abm_token.status_changed`,
 * `abm_token.sync_failing`, `abm_token.sync_recovered`).
 */
export const AUDIT_ACTIONS = [
  'customer.created',
  'customer.renamed',
  'customer.deleted',
  'site.created',
  'site.renamed',
  'site.deleted',
  'abm_token.created',
  'abm_token.public_key_downloaded',
  'abm_token.key_replaced',
  'abm_token.uploaded',
  'abm_token.renewed',
  'abm_token.moved',
  'abm_token.deleted',
  'abm_token.sync_requested',
  'abm_token.status_changed',
  'abm_token.sync_failing',
  'abm_token.sync_recovered',
  'enrollment_profile.updated',
  'user.created',
  'user.invited',
  'user.updated',
  'user.disabled',
  'user.enabled',
  'user.deleted',
  'user.password_link_created',
  'user.password_set_by_link',
  'user.password_changed',
  'api_key.created',
  'api_key.revoked',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.disabled',
  'webhook.enabled',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Orchard itself, for what it decides without anyone asking (a token's status, a failing sync). */
export const ORCHARD = 'orchard' as const;
export type Who = Principal | typeof ORCHARD;

export interface AuditEntry {
  readonly action: AuditAction;
  readonly target: { readonly type: string; readonly id: string; readonly label: string };
  readonly customerId?: string | null;
  readonly siteId?: string | null;
  /** What changed (`{field: {from, to}}`) or what else is worth knowing; never a secret. */
  readonly details?: Readonly<Record<string, unknown>>;
}

let lastId = { ms: -1, sequence: 0 };

/**
 * Ids that sort as the entries were written, even within one millisecond (or with a clock
 * that stands still), so the log reads newest first in the order things happened:
 * milliseconds, a sequence within this process, then randomness against other processes.
 */
function timeOrderedId(at: Date): string {
  const ms = at.getTime();
  lastId = ms > lastId.ms ? { ms, sequence: 0 } : { ms: lastId.ms, sequence: lastId.sequence + 1 };
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  return `${hex(lastId.ms, 12)}-${hex(lastId.sequence, 6)}-${randomBytes(6).toString('hex')}`;
}

/** The entry as stored: who from the principal, when from the clock. */
export function auditEvent(who: Who, entry: AuditEntry, clock: Clock): AuditEvent {
  const now = clock.now();
  return {
    id: timeOrderedId(now),
    occurredAt: now.toISOString(),
    actor: actorOf(who),
    action: entry.action,
    target: entry.target,
    customerId: entry.customerId ?? null,
    siteId: entry.siteId ?? null,
    details: entry.details ?? {},
  };
}

/** Records the entry through `repo`, which the caller takes from the transaction of the change itself. */
export async function recordAudit(
  repo: AuditEventRepository,
  who: Who,
  entry: AuditEntry,
  clock: Clock,
): Promise<void> {
  await repo.insert(auditEvent(who, entry, clock));
}

function actorOf(who: Who): AuditEvent['actor'] {
  if (who === ORCHARD) {
    return { kind: 'orchard', userId: null, apiKeyId: null, label: 'Orchard', clientAddress: null };
  }
  const { credential } = who;
  return {
    kind: credential.via === 'session' ? 'user' : credential.via,
    userId: who.userId,
    apiKeyId: credential.via === 'api_key' ? credential.id : null,
    label: credential.label,
    clientAddress: credential.address,
  };
}

/** The fields whose values differ, as `{field: {from, to}}`. */
export function changesOf<T extends object>(before: T, after: T, fields: readonly (keyof T & string)[]) {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of fields) {
    const from = before[field];
    const to = after[field];
    if (JSON.stringify(from) !== JSON.stringify(to)) out[field] = { from, to };
  }
  return out;
}

export interface AuditQuery {
  readonly customerId?: string;
  readonly actorUserId?: string;
  readonly action?: AuditAction;
  readonly from?: string;
  readonly until?: string;
}

/**
 * Reading the trail. Admins see every entry; technicians and read-only users only those about
 * their customers (an entry about users or keys has no customer, so it stays with admins).
 */
export class AuditLog {
  constructor(
    private readonly events: AuditEventRepository,
    private readonly clock: Clock,
    /** ORCHARD_AUDIT_RETENTION_DAYS in milliseconds. */
    private readonly retentionMs: number,
  ) {}

  /** Deletes the entries older than the retention; returns how many. */
  purgeExpired(): Promise<number> {
    return this.events.deleteOlderThan(new Date(this.clock.now().getTime() - this.retentionMs).toISOString());
  }

  async list(principal: Principal, query: AuditQuery, page: PageRequest): Promise<Page<AuditEvent>> {
    for (const [field, value] of [
      ['from', query.from],
      ['until', query.until],
    ] as const) {
      if (value !== undefined && Number.isNaN(Date.parse(value))) {
        throw new ValidationError(`${field} must be a date and time, e.g. 2026-12-01T00:00:00Z.`, field);
      }
    }
    // Asking for a customer one may not see answers as for one that does not exist.
    if (query.customerId !== undefined) requireCustomerAccess(principal, query.customerId);
    const scope = customerScope(principal);
    const filter: AuditFilter = {
      ...(scope === undefined ? {} : { onlyCustomerIds: scope }),
      ...(query.customerId === undefined ? {} : { customerId: query.customerId }),
      ...(query.actorUserId === undefined ? {} : { actorUserId: query.actorUserId }),
      ...(query.action === undefined ? {} : { action: query.action }),
      ...(query.from === undefined ? {} : { from: new Date(query.from).toISOString() }),
      ...(query.until === undefined ? {} : { until: new Date(query.until).toISOString() }),
    };
    return this.events.list(filter, page);
  }
}
