import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CompiledQuery } from 'kysely';
import { loadConfig } from '../../src/config/config.js';
import { migrateToLatest, openDb, type Db } from '../../src/store/db.js';
import type { DeviceFilter } from '../../src/store/repositories/devices.js';
import { repositoriesOf, type Repositories } from '../../src/store/repositories/index.js';
import { appleDevice, placeToken, storeDevices } from '../helpers/devices.js';
import { createTestDatabase, type TestDatabase } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';

/**
 * All devices of a state or status, without a customer, site or token: the list picks its plan
 * from the maintained counts (none, rare, common). Whichever plan it
 * takes, every page holds the right devices in serial order, each once.
 */
const NOW = '2026-06-01T12:00:00.000Z';

for (const { engine, skip } of await engines()) {
  describe(`devices by state or status across every customer on ${engine}`, { skip }, () => {
    let database: TestDatabase;
    let db: Db;
    let repos: Repositories;
    const pageQueries: Array<{ sql: string; parameters: readonly unknown[] }> = [];
    /** serial → [customer, profile status] of every device stored. */
    const stored = new Map<string, [string, string]>();

    before(async () => {
      database = await createTestDatabase(engine);
      db = openDb(loadConfig(database.env).database, {
        onQuery: (text, parameters) => {
          if (/^select json_/i.test(text)) pageQueries.push({ sql: text, parameters });
        },
      });
      await migrateToLatest(db);
      repos = repositoriesOf(db.kysely);
      // 2,000 devices in two customers; 20 of them pushed (1 %, rare), the rest empty (common).
      for (const customer of ['ca', 'cb']) {
        const place = { tokenId: `t-${customer}`, customerId: customer, siteId: `s-${customer}` };
        await placeToken(repos, place, NOW);
        const devices = Array.from({ length: 1000 }, (_, i) => {
          // Serials interleave the customers, so neither order nor scope lines up with a filter.
          const serial = `F${String(i * 2 + (customer === 'ca' ? 0 : 1)).padStart(5, '0')}`;
          const profileStatus = i % 100 === 7 ? 'pushed' : 'empty';
          stored.set(serial, [customer, profileStatus]);
          return appleDevice(serial, { profileStatus });
        });
        await storeDevices(repos, place, devices, NOW);
      }
    });
    after(async () => {
      await db.close();
      await database.drop();
    });

    async function everyPage(filter: DeviceFilter, limit: number): Promise<string[]> {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await repos.devices.list(filter, { limit, ...(cursor === undefined ? {} : { cursor }) });
        assert.ok(page.items.length <= limit);
        if (page.nextCursor !== undefined) assert.equal(page.items.length, limit, 'only the last page is short');
        seen.push(...page.items.map((d) => d.serialNumber));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      return seen;
    }
    const expected = (keep: (customer: string, status: string) => boolean) =>
      [...stored]
        .filter(([, [customer, status]]) => keep(customer, status))
        .map(([serial]) => serial)
        .sort();

    test('a rare status pages through its devices in serial order, each once', async () => {
      const pushed = expected((_, status) => status === 'pushed');
      assert.equal(pushed.length, 20);
      for (const limit of [1, 3, 50]) assert.deepEqual(await everyPage({ profileStatus: 'pushed' }, limit), pushed);
      assert.deepEqual(
        await everyPage({ profileStatus: 'pushed', enrollmentState: 'awaiting_enrollment' }, 7),
        pushed,
        'state and status together',
      );
    });

    test('a common status pages through its devices in serial order, each once', async () => {
      const empty = expected((_, status) => status === 'empty');
      assert.equal(empty.length, 1980);
      assert.deepEqual(await everyPage({ profileStatus: 'empty' }, 500), empty);
      assert.deepEqual(await everyPage({ enrollmentState: 'awaiting_enrollment' }, 300), [...stored.keys()].sort());
    });

    test('a status no device has is an empty page; a technician sees only its customers', async () => {
      assert.deepEqual(await repos.devices.list({ profileStatus: 'assigned' }, { limit: 50 }), { items: [] });
      assert.deepEqual(await repos.devices.list({ enrollmentState: 'enrolled' }, { limit: 50 }), { items: [] });
      assert.deepEqual(
        await everyPage({ profileStatus: 'pushed', onlyCustomerIds: ['cb'] }, 4),
        expected((customer, status) => customer === 'cb' && status === 'pushed'),
      );
      assert.deepEqual(await everyPage({ profileStatus: 'pushed', onlyCustomerIds: [] }, 4), []);
    });

    test(
      'SQLite finds a rare status through its index and walks the serial index for a common one',
      {
        skip: engine === 'postgres' ? 'PostgreSQL plans from its own statistics' : false,
      },
      async () => {
        const planOf = async (filter: DeviceFilter) => {
          pageQueries.length = 0;
          await repos.devices.list(filter, { limit: 50 });
          const page = pageQueries.at(-1);
          assert.ok(page !== undefined);
          const { rows } = await db.kysely.executeQuery<{ detail: string }>(
            CompiledQuery.raw(`explain query plan ${page.sql}`, [...page.parameters]),
          );
          return rows.map((r) => r.detail).join('; ');
        };
        const rare = await planOf({ profileStatus: 'pushed' });
        assert.match(rare, /SEARCH devices USING INDEX devices_profile_status_idx/, rare);
        assert.match(rare, /USE TEMP B-TREE FOR ORDER BY/, rare);
        const common = await planOf({ profileStatus: 'empty' });
        assert.doesNotMatch(common, /TEMP B-TREE/, common);
        assert.match(common, /SCAN devices USING INDEX sqlite_autoindex_devices_1/, common);
      },
    );
  });
}
