import type { Kysely } from 'kysely';

/**
 * The audit trail (issue 11): who changed what, written in the same transaction as the change.
 * Who and what are kept as they were (email, key name, customer and token names), so an entry
 * still reads right after the user, key or customer is gone. Appended only: the API has no way
 * to change or delete an entry; housekeeping deletes those older than the retention.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('actor_kind', 'text', (c) => c.notNull())
    .addColumn('actor_user_id', 'text')
    .addColumn('actor_api_key_id', 'text')
    .addColumn('actor_label', 'text', (c) => c.notNull())
    .addColumn('client_address', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('target_label', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text')
    .addColumn('site_id', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  // The log reads newest first, across everything or within a customer, an actor or an action.
  await db.schema.createIndex('audit_events_time_idx').on('audit_events').columns(['occurred_at', 'id']).execute();
  await db.schema
    .createIndex('audit_events_customer_idx')
    .on('audit_events')
    .columns(['customer_id', 'occurred_at', 'id'])
    .execute();
  await db.schema
    .createIndex('audit_events_actor_idx')
    .on('audit_events')
    .columns(['actor_user_id', 'occurred_at', 'id'])
    .execute();
  await db.schema
    .createIndex('audit_events_action_idx')
    .on('audit_events')
    .columns(['action', 'occurred_at', 'id'])
    .execute();
}
