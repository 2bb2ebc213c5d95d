import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config/config.js';
import { migrateToLatest, openDb, type Db } from '../../src/store/db.js';
import { repositoriesOf, type Repositories } from '../../src/store/repositories/index.js';
import { appleDevice, placeToken, storeDevices } from '../helpers/devices.js';
import { createTestDatabase, type TestDatabase } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';

/**
 * Every index on devices and device_counts costs each sync write; each must earn it. The
 * queries Orchard makes (captured as they run) are explained, and every index that is not a
 * key must be the plan's choice for at least one of them. PostgreSQL is told to avoid
 * sequential scans, which it would rightly prefer on a table this small.
 */
const NOW = '2026-06-01T12:00:00.000Z';

for (const { engine, skip } of await engines()) {
  describe(`device indexes on ${engine}`, { skip }, () => {
    let database: TestDatabase;
    let db: Db;
    let repos: Repositories;
    const captured: Array<{ sql: string; parameters: readonly unknown[] }> = [];

    before(async () => {
      database = await createTestDatabase(engine);
      db = openDb(loadConfig(database.env).database, {
        onQuery: (text, parameters) => captured.push({ sql: text, parameters }),
      });
      await migrateToLatest(db);
      repos = repositoriesOf(db.kysely);
      await placeToken(repos, { tokenId: 'T', customerId: 'c', siteId: 's' }, NOW);
      // 200 devices: one already pushed and one deleted in ABM, a rare status and a rare state.
      const serials = Array.from({ length: 200 }, (_, i) => `IDX${String(i).padStart(4, '0')}`);
      await storeDevices(
        repos,
        { tokenId: 'T', customerId: 'c', siteId: 's' },
        serials.map((s) => appleDevice(s, s === 'IDX0007' ? { profileStatus: 'pushed' } : {})),
        NOW,
      );
      await storeDevices(
        repos,
        { tokenId: 'T', customerId: 'c', siteId: 's' },
        [appleDevice('IDX0009', { opType: 'deleted', opDate: NOW })],
        NOW,
      );
    });
    after(async () => {
      await db.close();
      await database.drop();
    });

    test('each index on devices and device_counts is used by a query Orchard makes', async () => {
      captured.length = 0;
      const { devices, deviceWrites } = repos;
      const page = { limit: 50 };
      await devices.list({}, page);
      await devices.list({ abmTokenId: 'T' }, page);
      await devices.list({ customerId: 'c' }, page);
      await devices.list({ siteId: 's' }, page);
      await devices.list({ enrollmentState: 'enrolled' }, page);
      await devices.list({ enrollmentState: 'removed' }, page);
      await devices.list({ profileStatus: 'empty' }, page);
      await devices.list({ profileStatus: 'pushed' }, page);
      await devices.get('IDX0001');
      await devices.summary({});
      await devices.summary({ customerId: 'c' });
      await devices.summary({ siteId: 's' });
      await devices.countCurrentByToken(['T']);
      await devices.countBySite('s');
      await deviceWrites.pendingAssignment('T', NOW, 1000);
      await deviceWrites.markUnseenRemoved('T', 'run-1', NOW);
      await deviceWrites.requireProfile('T', 'P', NOW, { after: '', limit: 1000 });

      const used = new Set<string>();
      // Taken out first: explaining runs statements too, which the log would add.
      const queries = captured.splice(0).filter((q) => /^\s*(with|select|update|delete)\b/i.test(q.sql));
      for (const query of queries) {
        for (const name of await indexesIn(query.sql, query.parameters)) used.add(name);
      }
      const indexes = await secondaryIndexes();
      assert.ok(indexes.length >= 9, `found ${indexes.join(', ')}`);
      assert.deepEqual(
        indexes.filter((name) => !used.has(name)),
        [],
        `unused by any query; used: ${[...used].sort().join(', ')}`,
      );
    });

    /** Indexes that are not a table's key or a unique constraint. */
    async function secondaryIndexes(): Promise<string[]> {
      const rows =
        engine === 'postgres'
          ? await sql<{ name: string }>`select indexname as name from pg_indexes
              where schemaname = current_schema() and tablename in ('devices', 'device_counts')
              and indexdef not like 'CREATE UNIQUE%'`.execute(db.kysely)
          : await sql<{ name: string }>`select name from sqlite_master
              where type = 'index' and tbl_name in ('devices', 'device_counts') and sql is not null
              and sql not like 'CREATE UNIQUE%'`.execute(db.kysely);
      return rows.rows.map((r) => r.name).sort();
    }

    async function indexesIn(text: string, parameters: readonly unknown[]): Promise<string[]> {
      if (engine === 'postgres') {
        return db.kysely.transaction().execute(async (tx) => {
          await sql`set local enable_seqscan = off`.execute(tx);
          const plan = await tx.executeQuery<{ 'QUERY PLAN': unknown }>({
            sql: `explain (format json) ${text}`,
            parameters,
            query: { kind: 'RawNode' } as never,
            queryId: { queryId: 'explain' },
          });
          return [...JSON.stringify(plan.rows).matchAll(/"Index Name":"([^"]+)"/g)].map((m) => m[1] ?? '');
        });
      }
      const plan = await db.kysely.executeQuery<{ detail: string }>({
        sql: `explain query plan ${text}`,
        parameters,
        query: { kind: 'RawNode' } as never,
        queryId: { queryId: 'explain' },
      });
      return plan.rows.flatMap((r) =>
        [...r.detail.matchAll(/USING (?:COVERING )?INDEX (\w+)/g)].map((m) => m[1] ?? ''),
      );
    }
  });
}
