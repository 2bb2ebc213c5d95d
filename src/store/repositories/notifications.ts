import { sql, type Kysely } from 'kysely';
import { violationOf } from '../errors.js';
import type { Database, EmailNotificationsTable } from '../schema.js';

export interface Recipient {
  readonly id: string;
  /** null: MSP-wide. */
  readonly customerId: string | null;
  readonly email: string;
  readonly createdAt: string;
}

export interface EmailLine {
  readonly id: string;
  readonly eventType: string;
  readonly headline: string;
  readonly detail: string;
  readonly createdAt: string;
  readonly attempts: number;
}

export interface NotificationRepository {
  insertRecipient(row: Recipient & { emailKey: string }): Promise<Recipient | 'taken'>;
  /** Every recipient, or those of some customers (and, with `mspWide`, the MSP-wide ones). */
  listRecipients(filter: { customerIds?: readonly string[]; mspWide: boolean }): Promise<Recipient[]>;
  findRecipient(id: string): Promise<Recipient | undefined>;
  deleteRecipient(id: string): Promise<boolean>;
  /** The addresses to mail about a customer's token: its own recipients and the MSP-wide ones. */
  addressesFor(customerId: string | null): Promise<string[]>;

  insertLines(
    lines: readonly {
      id: string;
      recipient: string;
      eventId: string;
      eventType: string;
      headline: string;
      detail: string;
      now: string;
    }[],
  ): Promise<void>;
  /** Recipients whose oldest unsent line was written at or before `before`. */
  recipientsDue(before: string): Promise<string[]>;
  /** Leases all of a recipient's unsent lines to `owner`; none when another holds them. */
  leaseLines(recipient: string, owner: string, now: string, until: string): Promise<EmailLine[]>;
  markSent(ids: readonly string[], owner: string, now: string): Promise<void>;
  markFailed(ids: readonly string[], owner: string, error: string, giveUp: boolean, now: string): Promise<void>;
}

export class KyselyNotificationRepository implements NotificationRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insertRecipient(row: Recipient & { emailKey: string }): Promise<Recipient | 'taken'> {
    try {
      await this.db
        .insertInto('notification_recipients')
        .values({
          id: row.id,
          customer_id: row.customerId,
          email: row.email,
          email_key: row.emailKey,
          created_at: row.createdAt,
        })
        .execute();
    } catch (error) {
      if (violationOf(error) === 'unique') return 'taken';
      throw error;
    }
    return { id: row.id, customerId: row.customerId, email: row.email, createdAt: row.createdAt };
  }

  async listRecipients(filter: { customerIds?: readonly string[]; mspWide: boolean }): Promise<Recipient[]> {
    let q = this.db.selectFrom('notification_recipients').selectAll().orderBy('customer_id').orderBy('email_key');
    if (filter.customerIds !== undefined) {
      const ids = [...filter.customerIds];
      q = q.where((eb) => {
        const scoped = ids.length === 0 ? eb.val(false) : eb('customer_id', 'in', ids);
        return filter.mspWide ? eb.or([scoped, eb('customer_id', 'is', null)]) : scoped;
      });
    } else if (!filter.mspWide) {
      q = q.where('customer_id', 'is not', null);
    }
    return (await q.execute()).map((r) => ({
      id: r.id,
      customerId: r.customer_id,
      email: r.email,
      createdAt: r.created_at,
    }));
  }

  async findRecipient(id: string): Promise<Recipient | undefined> {
    const r = await this.db.selectFrom('notification_recipients').selectAll().where('id', '=', id).executeTakeFirst();
    return r === undefined
      ? undefined
      : { id: r.id, customerId: r.customer_id, email: r.email, createdAt: r.created_at };
  }

  async deleteRecipient(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('notification_recipients').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async addressesFor(customerId: string | null): Promise<string[]> {
    const rows = await this.db
      .selectFrom('notification_recipients')
      .select('email')
      .where((eb) =>
        customerId === null
          ? eb('customer_id', 'is', null)
          : eb.or([eb('customer_id', 'is', null), eb('customer_id', '=', customerId)]),
      )
      .execute();
    // One line per address, even when it is both MSP-wide and the customer's.
    const byKey = new Map(rows.map((r) => [r.email.toLowerCase(), r.email]));
    return [...byKey.values()];
  }

  async insertLines(
    lines: readonly {
      id: string;
      recipient: string;
      eventId: string;
      eventType: string;
      headline: string;
      detail: string;
      now: string;
    }[],
  ): Promise<void> {
    if (lines.length === 0) return;
    await this.db
      .insertInto('email_notifications')
      .values(
        lines.map((l) => ({
          id: l.id,
          recipient: l.recipient,
          event_id: l.eventId,
          event_type: l.eventType,
          headline: l.headline,
          detail: l.detail,
          created_at: l.now,
          lease_owner: null,
          lease_until: null,
          attempts: 0,
          last_error: null,
          sent_at: null,
          failed_at: null,
        })),
      )
      .onConflict((oc) => oc.columns(['event_id', 'recipient']).doNothing())
      .execute();
  }

  async recipientsDue(before: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('email_notifications')
      .select('recipient')
      .where('sent_at', 'is', null)
      .where('failed_at', 'is', null)
      .groupBy('recipient')
      .having((eb) => eb.fn.min('created_at'), '<=', before)
      .execute();
    return rows.map((r) => r.recipient);
  }

  async leaseLines(recipient: string, owner: string, now: string, until: string): Promise<EmailLine[]> {
    // One statement, so two instances cannot both take a recipient's lines.
    const result = await sql<EmailNotificationsTable>`
      update email_notifications set lease_owner = ${owner}, lease_until = ${until}
      where recipient = ${recipient} and sent_at is null and failed_at is null
        and (lease_until is null or lease_until <= ${now})
      returning *`.execute(this.db);
    return result.rows
      .map((r) => ({
        id: r.id,
        eventType: r.event_type,
        headline: r.headline,
        detail: r.detail,
        createdAt: r.created_at,
        attempts: r.attempts,
      }))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async markSent(ids: readonly string[], owner: string, now: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('email_notifications')
      .set({ sent_at: now, lease_owner: null, lease_until: null })
      .where('id', 'in', ids)
      .where('lease_owner', '=', owner)
      .execute();
  }

  async markFailed(ids: readonly string[], owner: string, error: string, giveUp: boolean, now: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('email_notifications')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        last_error: error,
        lease_owner: null,
        lease_until: null,
        ...(giveUp ? { failed_at: now } : {}),
      }))
      .where('id', 'in', ids)
      .where('lease_owner', '=', owner)
      .execute();
  }
}
