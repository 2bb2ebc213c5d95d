import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * Apple's `token_expired` becomes an issue of its own (`expired`) instead of `rejected`:
 * Apple can call a token expired before the date its file gave, and "revoked or superseded"
 * sent people looking for the wrong cause.
 */
const BEFORE = `apple_issue in ('terms_not_accepted', 'rejected', 'unreachable')`;
const AFTER = `apple_issue in ('terms_not_accepted', 'rejected', 'expired', 'unreachable')`;

export async function up(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`alter table abm_tokens drop constraint abm_tokens_apple_issue_check`.execute(db);
    await sql`alter table abm_tokens add constraint abm_tokens_apple_issue_check check (${sql.raw(AFTER)})`.execute(db);
    return;
  }
  await widenSqliteCheck(db);
}

/**
 * SQLite cannot alter a CHECK constraint, so the table is rebuilt the way
 * https://www.sqlite.org/lang_altertable.html#otheralter describes: foreign keys off (only
 * possible outside a transaction; Kysely runs SQLite migrations without one), a new table
 * from the stored definition with the one clause changed, rows copied, old dropped, new
 * renamed, indexes made again, foreign keys checked, all in one transaction. The stored
 * definition is reused so that every other column and constraint stays exactly as it is.
 */
async function widenSqliteCheck(db: Kysely<unknown>): Promise<void> {
  const schema = await sql<{ type: string; sql: string | null }>`
    select type, sql from sqlite_master where tbl_name = 'abm_tokens' and type in ('table', 'index', 'trigger')
  `.execute(db);
  const table = schema.rows.find((r) => r.type === 'table')?.sql ?? '';
  if (!table.includes(BEFORE)) throw new Error('abm_tokens does not have the apple_issue check migration 0002 made');
  const rebuilt = table.replace(/^CREATE TABLE "abm_tokens"/, 'CREATE TABLE "abm_tokens_new"').replace(BEFORE, AFTER);
  if (!rebuilt.startsWith('CREATE TABLE "abm_tokens_new"')) throw new Error('unexpected abm_tokens definition');
  // Autoindexes (primary key, unique) have no SQL and come back with the table.
  const recreate = schema.rows.filter((r) => r.type !== 'table' && r.sql !== null).map((r) => r.sql ?? '');

  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await sql`begin`.execute(db);
    try {
      await sql.raw(rebuilt).execute(db);
      await sql`insert into abm_tokens_new select * from abm_tokens`.execute(db);
      await sql`drop table abm_tokens`.execute(db);
      await sql`alter table abm_tokens_new rename to abm_tokens`.execute(db);
      for (const statement of recreate) await sql.raw(statement).execute(db);
      const broken = await sql`pragma foreign_key_check`.execute(db);
      if (broken.rows.length > 0) throw new Error(`foreign keys broken by the rebuild: ${JSON.stringify(broken.rows)}`);
      await sql`commit`.execute(db);
    } catch (error) {
      await sql`rollback`.execute(db);
      throw error;
    }
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}
