import type { Kysely } from 'kysely';

/**
 * Lets a token's sync store its assignment outcomes while its next page is being written.
 *
 * Every write of a sync is fenced by its lease: a transaction goes ahead only while
 * `sync_states.lease_owner` is still this process's, and a takeover must not slip in between
 * that check and the commit. The page's own transaction updates the row (cursor, lease), which
 * locks it. Until now the assignment outcomes were fenced the same way, by an update of the
 * same row, so the two transactions of one token queued behind each other on that lock.
 *
 * With `lease_owner` in a unique index, PostgreSQL counts it as a key column: an update that
 * changes it (a claim or takeover, the release) takes the row's strongest lock, which waits for
 * any `FOR KEY SHARE` holder, while updates that leave it alone (page commits, renewals) take a
 * lock `FOR KEY SHARE` does not conflict with. The outcomes' transaction now holds the lease
 * row `FOR KEY SHARE`: no takeover until it commits, and no wait for the page being written.
 * (SQLite has one writer at a time; the index changes nothing there.)
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('sync_states_lease_key')
    .on('sync_states')
    .columns(['token_id', 'lease_owner'])
    .unique()
    .execute();
}
