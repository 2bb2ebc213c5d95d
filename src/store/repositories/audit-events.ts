import type { Kysely } from 'kysely';
import { decodeCursor, toPage, type Page, type PageRequest } from '../paging.js';
import type { AuditEventRow, AuditEventsTable, Database } from '../schema.js';

export type ActorKind = AuditEventsTable['actor_kind'];

/** What the database keeps of an entry; `details` as the object it was written from. */
export interface AuditEvent {
  readonly id: string;
  readonly occurredAt: string;
  readonly actor: {
    readonly kind: ActorKind;
    readonly userId: string | null;
    readonly apiKeyId: string | null;
    readonly label: string;
    readonly clientAddress: string | null;
  };
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string; readonly label: string };
  readonly customerId: string | null;
  readonly siteId: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface AuditFilter {
  /** undefined: every customer, and entries of no customer; otherwise only entries of these. */
  readonly onlyCustomerIds?: readonly string[];
  readonly customerId?: string;
  readonly actorUserId?: string;
  readonly action?: string;
  /** ISO instants, from inclusive, until exclusive. */
  readonly from?: string;
  readonly until?: string;
}

export interface AuditEventRepository {
  insert(event: AuditEvent): Promise<void>;
  /** Newest first, keyset-paged by (time, id). */
  list(filter: AuditFilter, page: PageRequest): Promise<Page<AuditEvent>>;
  deleteOlderThan(before: string): Promise<number>;
}

export class KyselyAuditEventRepository implements AuditEventRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(event: AuditEvent): Promise<void> {
    await this.db
      .insertInto('audit_events')
      .values({
        id: event.id,
        occurred_at: event.occurredAt,
        actor_kind: event.actor.kind,
        actor_user_id: event.actor.userId,
        actor_api_key_id: event.actor.apiKeyId,
        actor_label: event.actor.label,
        client_address: event.actor.clientAddress,
        action: event.action,
        target_type: event.target.type,
        target_id: event.target.id,
        target_label: event.target.label,
        customer_id: event.customerId,
        site_id: event.siteId,
        details: JSON.stringify(event.details),
      })
      .execute();
  }

  async list(filter: AuditFilter, page: PageRequest): Promise<Page<AuditEvent>> {
    if (filter.onlyCustomerIds !== undefined && filter.onlyCustomerIds.length === 0) return { items: [] };
    let q = this.db
      .selectFrom('audit_events')
      .selectAll()
      .orderBy('occurred_at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.limit + 1);
    if (filter.onlyCustomerIds !== undefined) q = q.where('customer_id', 'in', filter.onlyCustomerIds);
    if (filter.customerId !== undefined) q = q.where('customer_id', '=', filter.customerId);
    if (filter.actorUserId !== undefined) q = q.where('actor_user_id', '=', filter.actorUserId);
    if (filter.action !== undefined) q = q.where('action', '=', filter.action);
    if (filter.from !== undefined) q = q.where('occurred_at', '>=', filter.from);
    if (filter.until !== undefined) q = q.where('occurred_at', '<', filter.until);
    if (page.cursor !== undefined) {
      const [at, id] = decodeCursor(page.cursor, 2) as [string, string];
      q = q.where((eb) => eb.or([eb('occurred_at', '<', at), eb.and([eb('occurred_at', '=', at), eb('id', '<', id)])]));
    }
    return toPage(await q.execute(), page.limit, toEvent, (row) => [row.occurred_at, row.id]);
  }

  async deleteOlderThan(before: string): Promise<number> {
    const result = await this.db.deleteFrom('audit_events').where('occurred_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toEvent(row: AuditEventRow): AuditEvent {
  return {
    id: row.id,
    occurredAt: row.occurred_at,
    actor: {
      kind: row.actor_kind,
      userId: row.actor_user_id,
      apiKeyId: row.actor_api_key_id,
      label: row.actor_label,
      clientAddress: row.client_address,
    },
    action: row.action,
    target: { type: row.target_type, id: row.target_id, label: row.target_label },
    customerId: row.customer_id,
    siteId: row.site_id,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}
