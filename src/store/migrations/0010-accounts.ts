import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { rebuildSqliteTable } from './sqlite-rebuild.js';

/**
 * Accounts an admin runs from the API (issue 11):
 *
 * - a third role, `read_only`, which sees its customers and changes nothing;
 * - `users.password_hash` may be null: an invited user has none until they follow their link;
 * - `users.disabled_at`: a disabled user keeps its row (and its name in the history) but
 *   cannot sign in, and its sessions and API keys are gone;
 * - API keys with an optional expiry and an optional read-only scope;
 * - sessions remember the address and browser they were opened from, for the user's own list;
 * - `password_links`: one-time invitation and password-reset links, by the hash of their token.
 */
const ROLE_BEFORE = `check (role in ('admin', 'technician'))`;
const ROLE_AFTER = `check (role in ('admin', 'technician', 'read_only'))`;

export async function up(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`alter table users drop constraint users_role_check`.execute(db);
    await sql`alter table users add constraint users_role_check ${sql.raw(ROLE_AFTER)}`.execute(db);
    await sql`alter table users alter column password_hash drop not null`.execute(db);
  } else {
    await rebuildSqliteTable(db, 'users', [
      [ROLE_BEFORE, ROLE_AFTER],
      ['"password_hash" text not null', '"password_hash" text'],
    ]);
  }
  await db.schema.alterTable('users').addColumn('disabled_at', 'text').execute();

  await db.schema.alterTable('api_keys').addColumn('expires_at', 'text').execute();
  await db.schema
    .alterTable('api_keys')
    .addColumn('read_only', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('api_keys_user_idx').on('api_keys').column('user_id').execute();

  await db.schema.alterTable('sessions').addColumn('client_address', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('user_agent', 'text').execute();

  await db.schema
    .createTable('password_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('invite', 'reset')`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('password_links_user_idx').on('password_links').column('user_id').execute();
}
