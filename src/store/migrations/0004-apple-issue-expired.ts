import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { rebuildSqliteTable } from './sqlite-rebuild.js';

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
  await rebuildSqliteTable(db, 'abm_tokens', [[BEFORE, AFTER]]);
}
