import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { loadConfig } from '../../src/config/config.js';
import { migrateToLatest, openDb, type Db } from '../../src/store/db.js';
import { repositoriesOf, type Repositories } from '../../src/store/repositories/index.js';
import type { Database } from '../../src/store/schema.js';
import { placeToken } from '../helpers/devices.js';
import { createTestDatabase, type TestDatabase } from '../helpers/orchard.js';
import { postgresSkipReason } from '../helpers/services.js';

/**
 * A token's sync writes in two kinds of transaction at once: its pages (cursor and devices) and
 * the outcomes of assigning the profile. Both are fenced by the lease. The outcomes' fence must
 * not wait for a page being written (they queued behind each other on the lease row before),
 * yet a takeover by another process must still wait until the outcomes are committed.
 */
describe('the lease fence of assignment outcomes on PostgreSQL', { skip: await postgresSkipReason() }, () => {
  let database: TestDatabase;
  let db: Db;
  const tokenId = 'tok-fence';
  const mine = { tokenId, owner: 'process-a' };
  const past = '2026-01-01T00:00:00.000Z';
  const later = '2026-01-01T00:10:00.000Z';

  before(async () => {
    database = await createTestDatabase('postgres');
    db = openDb(loadConfig(database.env).database);
    await migrateToLatest(db);
    const repos = repositoriesOf(db.kysely);
    await placeToken(repos, { tokenId, customerId: 'cust-fence', siteId: 'site-fence' }, past);
    await repos.syncStates.request(tokenId, past);
    assert.ok(await repos.syncStates.claim(tokenId, mine.owner, past, '2026-01-01T00:01:00.000Z'));
  });
  after(async () => {
    await db.close();
    await database.drop();
  });

  /** Runs `work` in a transaction that stays open until `release` resolves; a lock waited on longer than 2 s fails. */
  function openTransaction(work: (repos: Repositories) => Promise<unknown>, release: Promise<void>) {
    let entered: () => void = () => undefined;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const done = db.kysely.transaction().execute(async (tx: Kysely<Database>) => {
      await sql`set local lock_timeout = '2s'`.execute(tx);
      const result = await work(repositoriesOf(tx));
      entered();
      await release;
      return result;
    });
    done.catch(() => entered());
    return { inside, done };
  }

  test('outcomes are fenced while a page of the same token is being committed', async () => {
    let endPage: () => void = () => undefined;
    const page = openTransaction(
      (repos) =>
        repos.syncStates.commitPage(mine, { phase: 'fetch', cursor: 'c1', fetchRun: 'r1', devices: 0 }, past, later),
      new Promise((resolve) => (endPage = resolve)),
    );
    await page.inside;
    try {
      const outcomes = openTransaction((repos) => repos.syncStates.holds(mine), Promise.resolve());
      assert.equal(await outcomes.done, true, 'the lease is seen as ours without waiting for the page');
    } finally {
      endPage();
    }
    assert.equal(await page.done, true);
  });

  test('a takeover waits for the outcomes being committed', async () => {
    let endOutcomes: () => void = () => undefined;
    const outcomes = openTransaction(
      (repos) => repos.syncStates.holds(mine),
      new Promise((resolve) => (endOutcomes = resolve)),
    );
    await outcomes.inside;
    let takeover: { done: Promise<unknown> };
    try {
      // Long after the lease ran out, another process claims the token.
      takeover = openTransaction(
        (repos) => repos.syncStates.claim(tokenId, 'process-b', '2026-01-02T00:00:00.000Z', '2026-01-02T00:01:00.000Z'),
        Promise.resolve(),
      );
      await assert.rejects(takeover.done, (error: { code?: string }) => error.code === '55P03', 'lock timeout');
    } finally {
      endOutcomes();
    }
    assert.equal(await outcomes.done, true);
    const again = openTransaction(
      (repos) => repos.syncStates.claim(tokenId, 'process-b', '2026-01-02T00:00:00.000Z', '2026-01-02T00:01:00.000Z'),
      Promise.resolve(),
    );
    assert.equal(await again.done, true, 'once the outcomes are in, the takeover goes through');
    const gone = openTransaction((repos) => repos.syncStates.holds(mine), Promise.resolve());
    assert.equal(await gone.done, false, 'the old holder no longer passes the fence');
  });
});
