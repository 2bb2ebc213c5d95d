import { PostgresAdapter, type Kysely } from 'kysely';
import type { OutboxEvent } from '../../domain/events.js';
import type { Database, OutboxEventsTable } from '../schema.js';

export interface OutboxRepository {
  insert(events: readonly OutboxEvent[]): Promise<void>;
  /** Whether an enabled webhook wants this type: events nobody listens to are not written. */
  anyoneWants(type: string): Promise<boolean>;
  /**
   * The oldest events not yet fanned out, claimed for this transaction: on PostgreSQL locked
   * (other instances skip them); on SQLite write transactions run one at a time anyway.
   */
  claimUndispatched(limit: number): Promise<OutboxEvent[]>;
  markDispatched(ids: readonly string[], now: string): Promise<void>;
  /** Events not yet fanned out, for the backlog gauge. */
  undispatched(): Promise<number>;
  /** Dispatched events older than `before` (their deliveries keep their own copy). */
  deleteDispatchedBefore(before: string): Promise<number>;
}

export class KyselyOutboxRepository implements OutboxRepository {
  private readonly postgres: boolean;
  constructor(private readonly db: Kysely<Database>) {
    this.postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  }

  async insert(events: readonly OutboxEvent[]): Promise<void> {
    // In slices: SQLite takes at most 32,766 parameters in one statement.
    for (let i = 0; i < events.length; i += 500) {
      await this.db
        .insertInto('outbox_events')
        .values(
          events.slice(i, i + 500).map((event) => ({
            id: event.id,
            type: event.type,
            occurred_at: event.occurredAt,
            customer_id: event.customerId,
            data: JSON.stringify(event.data),
            dispatched_at: null,
          })),
        )
        .execute();
    }
  }

  async anyoneWants(type: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('webhook_event_types')
      .innerJoin('webhooks', 'webhooks.id', 'webhook_event_types.webhook_id')
      .select('webhooks.id')
      .where('webhook_event_types.event_type', '=', type)
      .where('webhooks.disabled_at', 'is', null)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async claimUndispatched(limit: number): Promise<OutboxEvent[]> {
    let q = this.db
      .selectFrom('outbox_events')
      .selectAll()
      .where('dispatched_at', 'is', null)
      .orderBy('id')
      .limit(limit);
    if (this.postgres) q = q.forUpdate().skipLocked();
    return (await q.execute()).map(toEvent);
  }

  async markDispatched(ids: readonly string[], now: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('outbox_events').set({ dispatched_at: now }).where('id', 'in', ids).execute();
  }

  async undispatched(): Promise<number> {
    const row = await this.db
      .selectFrom('outbox_events')
      .select((e) => e.fn.countAll<number | string>().as('n'))
      .where('dispatched_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async deleteDispatchedBefore(before: string): Promise<number> {
    const result = await this.db
      .deleteFrom('outbox_events')
      .where('dispatched_at', 'is not', null)
      .where('occurred_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toEvent(row: OutboxEventsTable): OutboxEvent {
  return {
    id: row.id,
    type: row.type as OutboxEvent['type'],
    occurredAt: row.occurred_at,
    customerId: row.customer_id,
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
}
