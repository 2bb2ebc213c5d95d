import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { decodeCursor, toPage, type Page, type PageRequest } from '../paging.js';
import type { Database, DeliveryState, WebhookDeliveriesTable, WebhooksTable } from '../schema.js';

export interface Webhook {
  readonly id: string;
  readonly url: string;
  readonly description: string;
  readonly events: readonly string[];
  /** null: every customer. */
  readonly customerIds: readonly string[] | null;
  readonly secretId: string;
  readonly disabledAt: string | null;
  readonly disabledReason: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Delivery {
  readonly id: string;
  readonly webhookId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly payload: string;
  readonly state: DeliveryState;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly giveUpAt: string;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
}

export interface DeliveryAttempt {
  readonly attemptedAt: string;
  readonly status: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

export interface NewDelivery {
  readonly id: string;
  readonly webhookId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly payload: string;
  readonly now: string;
  readonly giveUpAt: string;
}

export interface WebhookRepository {
  insert(hook: Omit<Webhook, 'disabledAt' | 'disabledReason' | 'updatedAt'>): Promise<void>;
  findById(id: string): Promise<Webhook | undefined>;
  list(): Promise<Webhook[]>;
  update(
    id: string,
    changes: Partial<Pick<Webhook, 'url' | 'description' | 'events' | 'customerIds' | 'disabledAt' | 'disabledReason'>>,
    now: string,
  ): Promise<boolean>;
  /** Deletes the webhook with its deliveries; returns its secret's id for the caller to destroy. */
  delete(id: string): Promise<string | undefined>;
  /** Enabled webhooks that want `type`. */
  subscribers(type: string): Promise<Webhook[]>;

  /** One delivery per (webhook, event): a second fan-out of the same event adds nothing. */
  insertDeliveries(deliveries: readonly NewDelivery[]): Promise<void>;
  /**
   * Takes up to `limit` deliveries due at `now` that no live lease holds, leasing them to
   * `owner` until `until`. Only the instance whose update matched a row sends it.
   */
  leaseDue(owner: string, now: string, until: string, limit: number): Promise<Delivery[]>;
  /** An attempt's outcome, written only while `owner` still holds the lease. */
  recordAttempt(
    id: string,
    owner: string,
    attempt: DeliveryAttempt & { readonly attemptId: string },
    next: { readonly state: DeliveryState; readonly nextAttemptAt: string; readonly finishedAt: string | null },
  ): Promise<boolean>;
  findDelivery(id: string): Promise<(Delivery & { attemptLog: DeliveryAttempt[] }) | undefined>;
  listDeliveries(webhookId: string, page: PageRequest): Promise<Page<Delivery & { attemptLog: DeliveryAttempt[] }>>;
  /** Pending deliveries, for the backlog gauge. */
  backlog(): Promise<number>;
}

export class KyselyWebhookRepository implements WebhookRepository {
  private readonly postgres: boolean;
  constructor(private readonly db: Kysely<Database>) {
    this.postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  }

  async insert(hook: Omit<Webhook, 'disabledAt' | 'disabledReason' | 'updatedAt'>): Promise<void> {
    await this.db
      .insertInto('webhooks')
      .values({
        id: hook.id,
        url: hook.url,
        description: hook.description,
        customer_ids: hook.customerIds === null ? null : JSON.stringify(hook.customerIds),
        secret_id: hook.secretId,
        disabled_at: null,
        disabled_reason: null,
        created_at: hook.createdAt,
        updated_at: hook.createdAt,
      })
      .execute();
    await this.setEvents(hook.id, hook.events);
  }

  async findById(id: string): Promise<Webhook | undefined> {
    const row = await this.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : (await this.withEvents([row]))[0];
  }

  async list(): Promise<Webhook[]> {
    return this.withEvents(
      await this.db.selectFrom('webhooks').selectAll().orderBy('created_at').orderBy('id').execute(),
    );
  }

  async update(
    id: string,
    changes: Partial<Pick<Webhook, 'url' | 'description' | 'events' | 'customerIds' | 'disabledAt' | 'disabledReason'>>,
    now: string,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('webhooks')
      .set({
        updated_at: now,
        ...(changes.url === undefined ? {} : { url: changes.url }),
        ...(changes.description === undefined ? {} : { description: changes.description }),
        ...(changes.customerIds === undefined
          ? {}
          : { customer_ids: changes.customerIds === null ? null : JSON.stringify(changes.customerIds) }),
        ...(changes.disabledAt === undefined ? {} : { disabled_at: changes.disabledAt }),
        ...(changes.disabledReason === undefined ? {} : { disabled_reason: changes.disabledReason }),
      })
      .where('id', '=', id)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) return false;
    if (changes.events !== undefined) await this.setEvents(id, changes.events);
    return true;
  }

  async delete(id: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('webhooks').select('secret_id').where('id', '=', id).executeTakeFirst();
    if (row === undefined) return undefined;
    await this.db.deleteFrom('webhooks').where('id', '=', id).execute();
    return row.secret_id;
  }

  async subscribers(type: string): Promise<Webhook[]> {
    const rows = await this.db
      .selectFrom('webhooks')
      .innerJoin('webhook_event_types', 'webhook_event_types.webhook_id', 'webhooks.id')
      .selectAll('webhooks')
      .where('webhook_event_types.event_type', '=', type)
      .where('webhooks.disabled_at', 'is', null)
      .execute();
    return this.withEvents(rows);
  }

  async insertDeliveries(deliveries: readonly NewDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.db
      .insertInto('webhook_deliveries')
      .values(
        deliveries.map((d) => ({
          id: d.id,
          webhook_id: d.webhookId,
          event_id: d.eventId,
          event_type: d.eventType,
          payload: d.payload,
          state: 'pending' as const,
          attempts: 0,
          next_attempt_at: d.now,
          give_up_at: d.giveUpAt,
          lease_owner: null,
          lease_until: null,
          last_status: null,
          last_error: null,
          created_at: d.now,
          finished_at: null,
        })),
      )
      .onConflict((oc) => oc.columns(['webhook_id', 'event_id']).doNothing())
      .execute();
  }

  async leaseDue(owner: string, now: string, until: string, limit: number): Promise<Delivery[]> {
    // One statement: choosing and leasing cannot be split by another instance's lease.
    const due = sql`select id from webhook_deliveries
      where state = 'pending' and next_attempt_at <= ${now} and (lease_until is null or lease_until <= ${now})
        and (event_type = 'webhook.test' or webhook_id in (select id from webhooks where disabled_at is null))
      order by next_attempt_at, id limit ${limit}${sql.raw(this.postgres ? ' for update skip locked' : '')}`;
    const result = await sql<WebhookDeliveriesTable>`
      update webhook_deliveries set lease_owner = ${owner}, lease_until = ${until}
      where id in (${due}) and state = 'pending' and (lease_until is null or lease_until <= ${now})
      returning *`.execute(this.db);
    return result.rows.map(toDelivery);
  }

  async recordAttempt(
    id: string,
    owner: string,
    attempt: DeliveryAttempt & { readonly attemptId: string },
    next: { readonly state: DeliveryState; readonly nextAttemptAt: string; readonly finishedAt: string | null },
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('webhook_deliveries')
      .set((eb) => ({
        state: next.state,
        attempts: eb('attempts', '+', 1),
        next_attempt_at: next.nextAttemptAt,
        finished_at: next.finishedAt,
        last_status: attempt.status,
        last_error: attempt.error,
        lease_owner: null,
        lease_until: null,
      }))
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) return false;
    await this.db
      .insertInto('webhook_delivery_attempts')
      .values({
        id: attempt.attemptId,
        delivery_id: id,
        attempted_at: attempt.attemptedAt,
        status: attempt.status,
        error: attempt.error,
        duration_ms: attempt.durationMs,
      })
      .execute();
    return true;
  }

  async listDeliveries(
    webhookId: string,
    page: PageRequest,
  ): Promise<Page<Delivery & { attemptLog: DeliveryAttempt[] }>> {
    let q = this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('webhook_id', '=', webhookId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.limit + 1);
    if (page.cursor !== undefined) {
      const [at, id] = decodeCursor(page.cursor, 2) as [string, string];
      q = q.where((eb) => eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', id)])]));
    }
    const rows = await q.execute();
    const ids = rows.map((r) => r.id);
    const attempts =
      ids.length === 0
        ? []
        : await this.db
            .selectFrom('webhook_delivery_attempts')
            .selectAll()
            .where('delivery_id', 'in', ids)
            .orderBy('attempted_at')
            .execute();
    const byDelivery = new Map<string, DeliveryAttempt[]>();
    for (const a of attempts) {
      const list = byDelivery.get(a.delivery_id) ?? [];
      list.push({ attemptedAt: a.attempted_at, status: a.status, error: a.error, durationMs: a.duration_ms });
      byDelivery.set(a.delivery_id, list);
    }
    return toPage(
      rows,
      page.limit,
      (row) => ({ ...toDelivery(row), attemptLog: byDelivery.get(row.id) ?? [] }),
      (row) => [row.created_at, row.id],
    );
  }

  async findDelivery(id: string): Promise<(Delivery & { attemptLog: DeliveryAttempt[] }) | undefined> {
    const row = await this.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) return undefined;
    const attempts = await this.db
      .selectFrom('webhook_delivery_attempts')
      .selectAll()
      .where('delivery_id', '=', id)
      .orderBy('attempted_at')
      .execute();
    return {
      ...toDelivery(row),
      attemptLog: attempts.map((a) => ({
        attemptedAt: a.attempted_at,
        status: a.status,
        error: a.error,
        durationMs: a.duration_ms,
      })),
    };
  }

  async backlog(): Promise<number> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .select((e) => e.fn.countAll<number | string>().as('n'))
      .where('state', '=', 'pending')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  private async setEvents(id: string, events: readonly string[]): Promise<void> {
    await this.db.deleteFrom('webhook_event_types').where('webhook_id', '=', id).execute();
    const unique = [...new Set(events)];
    if (unique.length === 0) return;
    await this.db
      .insertInto('webhook_event_types')
      .values(unique.map((event_type) => ({ webhook_id: id, event_type })))
      .execute();
  }

  private async withEvents(rows: readonly WebhooksTable[]): Promise<Webhook[]> {
    const ids = rows.map((r) => r.id);
    const types =
      ids.length === 0
        ? []
        : await this.db
            .selectFrom('webhook_event_types')
            .selectAll()
            .where('webhook_id', 'in', ids)
            .orderBy('event_type')
            .execute();
    return rows.map((row) => ({
      id: row.id,
      url: row.url,
      description: row.description,
      events: types.filter((t) => t.webhook_id === row.id).map((t) => t.event_type),
      customerIds: row.customer_ids === null ? null : (JSON.parse(row.customer_ids) as string[]),
      secretId: row.secret_id,
      disabledAt: row.disabled_at,
      disabledReason: row.disabled_reason,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }));
  }
}

function toDelivery(row: WebhookDeliveriesTable): Delivery {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    eventType: row.event_type,
    payload: row.payload,
    state: row.state,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    giveUpAt: row.give_up_at,
    lastStatus: row.last_status,
    lastError: row.last_error,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}
