import { sql, type Kysely } from 'kysely';

/**
 * SQLite cannot alter a CHECK constraint, so a table is rebuilt the way
 * https://www.sqlite.org/lang_altertable.html#otheralter describes: foreign keys off (only
 * possible outside a transaction; Kysely runs SQLite migrations without one), a new table
 * from the stored definition with the named clauses replaced, rows copied, old dropped, new
 * renamed, indexes made again, foreign keys checked, all in one transaction. The stored
 * definition is reused so that every other column and constraint stays exactly as it is.
 */
export async function rebuildSqliteTable(
  db: Kysely<unknown>,
  table: string,
  replacements: readonly (readonly [before: string, after: string])[],
): Promise<void> {
  const schema = await sql<{ type: string; sql: string | null }>`
    select type, sql from sqlite_master where tbl_name = ${table} and type in ('table', 'index', 'trigger')
  `.execute(db);
  let rebuilt = schema.rows.find((r) => r.type === 'table')?.sql ?? '';
  const header = `CREATE TABLE "${table}"`;
  if (!rebuilt.startsWith(header)) throw new Error(`unexpected ${table} definition`);
  rebuilt = `CREATE TABLE "${table}_new"${rebuilt.slice(header.length)}`;
  for (const [before, after] of replacements) {
    if (!rebuilt.includes(before)) throw new Error(`${table} does not have the clause this migration replaces: ${before}`);
    rebuilt = rebuilt.replace(before, after);
  }
  // Autoindexes (primary key, unique) have no SQL and come back with the table.
  const recreate = schema.rows.filter((r) => r.type !== 'table' && r.sql !== null).map((r) => r.sql ?? '');

  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await sql`begin`.execute(db);
    try {
      await sql.raw(rebuilt).execute(db);
      await sql.raw(`insert into "${table}_new" select * from "${table}"`).execute(db);
      await sql.raw(`drop table "${table}"`).execute(db);
      await sql.raw(`alter table "${table}_new" rename to "${table}"`).execute(db);
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
