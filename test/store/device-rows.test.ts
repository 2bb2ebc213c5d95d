import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { migrateToLatest, openDb, type Db } from '../../src/store/db.js';
import { repositoriesOf, type Repositories } from '../../src/store/repositories/index.js';
import { appleDevice, placeToken, storeDevices } from '../helpers/devices.js';
import { createTestDatabase, type TestDatabase } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';

/**
 * The API's devices are read as one JSON array per row, built by the engine, and on PostgreSQL
 * their names come from a second, prepared query for the whole page: every text must come back
 * exactly as stored, and each device with its own customer's, site's and token's names.
 */
const NOW = '2026-06-01T12:00:00.000Z';
/** Quotes, backslashes, control characters, U+2028, astral and combining characters. */
const AWKWARD = 'a "quoted" \\ back\\slash\n\ttab \u0001 \u2028 ü e\u0301 😀 </script>';

for (const { engine, skip } of await engines()) {
  describe(`device rows on ${engine}`, { skip }, () => {
    let database: TestDatabase;
    let db: Db;
    let repos: Repositories;

    before(async () => {
      database = await createTestDatabase(engine);
      db = openDb(loadConfig(database.env).database);
      await migrateToLatest(db);
      repos = repositoriesOf(db.kysely);
      for (const n of [1, 2, 3]) {
        const place = { tokenId: `t${n}`, customerId: `c${n}`, siteId: `s${n}` };
        await placeToken(repos, { ...place, customerName: `${AWKWARD} customer ${n}`, siteName: `site ${n}` }, NOW);
        await db.kysely
          .updateTable('abm_tokens')
          .set({ server_name: `server ${n}` })
          .where('id', '=', `t${n}`)
          .execute();
      }
      // Serials interleave the tokens, so one page holds all three.
      for (const n of [1, 2, 3]) {
        const devices = [0, 1, 2, 3].map((i) => appleDevice(`ROW${i}${n}`, { description: `${AWKWARD} ${i}${n}` }));
        await storeDevices(repos, { tokenId: `t${n}`, customerId: `c${n}`, siteId: `s${n}` }, devices, NOW);
      }
      // One device no longer placed anywhere, one released from Setup Assistant.
      await db.kysely
        .updateTable('devices')
        .set({ abm_token_id: null, customer_id: null, site_id: null })
        .where('serial_number', '=', 'ROW33')
        .execute();
      await db.kysely
        .insertInto('mdm_enrollments')
        .values({
          serial_number: 'ROW12',
          udid: 'UDID-ROW12',
          identity_sha256: 'sha',
          topic: 'com.apple.mgmt.test',
          state: 'enrolled',
          authenticated_at: NOW,
          released_at: '2026-06-01T12:30:00.000Z',
          last_seen_at: NOW,
          updated_at: NOW,
        })
        .execute();
    });
    after(async () => {
      await db.close();
      await database.drop();
    });

    test('each device carries its own names and texts exactly as stored, in list and get alike', async () => {
      const { items } = await repos.devices.list({}, { limit: 50 });
      assert.deepEqual(
        items.map((d) => d.serialNumber),
        ['ROW01', 'ROW02', 'ROW03', 'ROW11', 'ROW12', 'ROW13', 'ROW21', 'ROW22', 'ROW23', 'ROW31', 'ROW32', 'ROW33'],
      );
      for (const device of items) {
        const n = device.serialNumber.at(-1);
        assert.equal(device.description, `${AWKWARD} ${device.serialNumber.slice(3)}`);
        if (device.serialNumber === 'ROW33') {
          assert.deepEqual(
            [device.abmTokenId, device.customerName, device.siteName, device.serverName],
            [null, null, null, null],
          );
        } else {
          assert.deepEqual(
            [device.abmTokenId, device.customerName, device.siteName, device.serverName],
            [`t${n}`, `${AWKWARD} customer ${n}`, `site ${n}`, `server ${n}`],
          );
        }
        assert.equal(device.setupReleasedAt, device.serialNumber === 'ROW12' ? '2026-06-01T12:30:00.000Z' : null);
        assert.deepEqual(await repos.devices.get(device.serialNumber), device);
      }
      assert.equal(await repos.devices.get('NOPE'), undefined);
    });

    test('a page after the cursor, and a rename, read the same way', async () => {
      const first = await repos.devices.list({}, { limit: 5 });
      assert.ok(first.nextCursor);
      const rest = await repos.devices.list({}, { limit: 50, cursor: first.nextCursor });
      assert.deepEqual(rest.items[0]?.serialNumber, 'ROW13');
      assert.equal(rest.nextCursor, undefined);
      await db.kysely.updateTable('customers').set({ name: 'Renamed' }).where('id', '=', 'c2').execute();
      const scoped = await repos.devices.list({ customerId: 'c2' }, { limit: 50 });
      assert.deepEqual(
        scoped.items.map((d) => [d.serialNumber, d.customerName]),
        [
          ['ROW02', 'Renamed'],
          ['ROW12', 'Renamed'],
          ['ROW22', 'Renamed'],
          ['ROW32', 'Renamed'],
        ],
      );
    });
  });
}
