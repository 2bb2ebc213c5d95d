import { sql, type Kysely } from 'kysely';

/**
 * Email reminders (issue 11).
 *
 * - `notification_recipients`: who is mailed, MSP-wide (`customer_id` null) or for one
 *   customer's tokens.
 * - `email_notifications`: one line to mail per (event, recipient), written when the event is
 *   fanned out; a recipient's pending lines go out together as one digest, under a lease so two
 *   instances never mail the same lines.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('notification_recipients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.references('customers.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('email_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  // One row per address and scope; coalesce lets the MSP-wide scope (null) be unique too.
  await db.schema
    .createIndex('notification_recipients_unique')
    .on('notification_recipients')
    .unique()
    .expression(sql`coalesce(customer_id, ''), email_key`)
    .execute();

  await db.schema
    .createTable('email_notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('headline', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('sent_at', 'text')
    .addColumn('failed_at', 'text')
    .addUniqueConstraint('email_notifications_event_recipient', ['event_id', 'recipient'])
    .execute();
  await db.schema
    .createIndex('email_notifications_pending_idx')
    .on('email_notifications')
    .columns(['sent_at', 'failed_at', 'recipient', 'created_at'])
    .execute();
}
