import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { migrateToLatest, openDb, type Db } from '../../src/store/db.js';
import type { Device } from '../../src/apple/dep/index.js';
import { appleDevice, storeDevices } from '../helpers/devices.js';
import { repositoriesOf, type Repositories } from '../../src/store/repositories/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';

/**
 * The storage contract of devices, enrollment profiles and sync state, on every engine.
 * Engine-specific on purpose: serials collate byte-wise on PostgreSQL ("C"), as SQLite's
 * BINARY does — the paging test below shows both engines agree on the order.
 */
for (const { engine, skip } of await engines()) {
  describe(`device repositories on ${engine}`, { skip }, () => {
    let database: TestDatabase;
    let db: Db;
    let second: Db;
    let repos: Repositories;
    const now = '2026-06-01T12:00:00.000Z';
    const later = '2026-06-01T13:00:00.000Z';

    before(async () => {
      database = await createTestDatabase(engine);
      db = openDb(loadConfig(database.env).database);
      await migrateToLatest(db);
      // A second connection (pool), as a second Orchard process would have.
      second = openDb(loadConfig(database.env).database);
      repos = repositoriesOf(db.kysely);
      await repos.customers.insert({ id: 'c1', name: 'Acme', nameKey: 'acme', now });
      await repos.customers.insert({ id: 'c2', name: 'Beta', nameKey: 'beta', now });
      await repos.sites.insert({ id: 's1', customerId: 'c1', name: 'Main', nameKey: 'main', now });
      await repos.sites.insert({ id: 's2', customerId: 'c1', name: 'Lab', nameKey: 'lab', now });
      await repos.sites.insert({ id: 's3', customerId: 'c2', name: 'HQ', nameKey: 'hq', now });
      for (const [id, customerId, siteId] of [
        ['t1', 'c1', 's1'],
        ['t2', 'c1', 's2'],
        ['t3', 'c2', 's3'],
      ] as const) {
        await connectedToken(id, customerId, siteId);
      }
    });
    after(async () => {
      await second.close();
      await db.close();
      await database.drop();
    });

    async function connectedToken(id: string, customerId: string, siteId: string) {
      await repos.secrets.insert({ id: `key-${id}`, purpose: 'test', sealed: 'x', keyId: 'k', now });
      await repos.secrets.insert({ id: `cred-${id}`, purpose: 'test', sealed: 'x', keyId: 'k', now });
      await repos.abmTokens.insert(
        { id, customerId, siteId, depBaseUrl: 'http://apple.test', now },
        { id: `kp-${id}`, certificatePem: 'pem', privateKeySecretId: `key-${id}`, now },
      );
      const connected = await repos.abmTokens.connect(id, {
        credentialsSecretId: `cred-${id}`,
        server: { name: `Server ${id}`, uuid: `uuid-${id}`, orgName: null, orgEmail: null, adminId: null },
        expiresAt: null,
        keyId: `kp-${id}`,
        now,
      });
      assert.equal(typeof connected, 'object');
    }

    const placement: Record<string, [string, string]> = { t1: ['c1', 's1'], t2: ['c1', 's2'], t3: ['c2', 's3'] };

    /** Stores devices as one page of that token's sync would. */
    async function put(tokenId: string, devices: Device[], at: string, extra: { fetchRun?: string } = {}) {
      const [customerId, siteId] = placement[tokenId] ?? ['c1', 's1'];
      await storeDevices(repos, { tokenId, customerId, siteId, ...extra }, devices, at);
    }

    test('an upsert stores a new device awaiting enrollment; older news never overwrites newer', async () => {
      const d = repos.devices;
      await put('t1', [appleDevice('UP0001', { opDate: '2026-06-01T10:00:00.000Z', opType: 'added' })], now);
      const stored = await d.get('UP0001');
      assert.equal(stored?.enrollmentState, 'awaiting_enrollment');
      assert.equal(stored?.customerName, 'Acme');
      assert.equal(stored?.siteName, 'Main');
      assert.equal(stored?.serverName, 'Server t1');
      // An older modified event from another token's feed loses...
      await put('t3', [appleDevice('UP0001', { opDate: '2026-06-01T09:00:00.000Z', opType: 'modified' })], later);
      assert.equal((await d.get('UP0001'))?.abmTokenId, 't1');
      // ...a newer one moves it, with the other token's customer and site.
      await put('t3', [appleDevice('UP0001', { opDate: '2026-06-01T11:00:00.000Z', opType: 'modified' })], later);
      const moved = await d.get('UP0001');
      assert.deepEqual([moved?.abmTokenId, moved?.customerId, moved?.siteId], ['t3', 'c2', 's3']);
    });

    test('a removal lands only on the owning token and keeps the device with its date; an upsert brings it back', async () => {
      const d = repos.devices;
      await put('t1', [appleDevice('RM0001'), appleDevice('RM0002')], now);
      const at = '2026-06-01T12:30:00.000Z';
      const deleted = appleDevice('RM0001', { opType: 'deleted', opDate: at, profileStatus: null });
      assert.equal(
        (
          await repos.deviceWrites.applyPage(
            { tokenId: 't2', customerId: 'c1', siteId: 's2', profileUuid: null, fetchRun: null, now },
            [deleted],
          )
        ).removed,
        0,
      );
      assert.equal(
        (
          await repos.deviceWrites.applyPage(
            { tokenId: 't1', customerId: 'c1', siteId: 's1', profileUuid: null, fetchRun: null, now },
            [deleted],
          )
        ).removed,
        1,
      );
      const removed = await d.get('RM0001');
      assert.equal(removed?.enrollmentState, 'removed');
      assert.equal(removed?.removedAt, at);
      assert.equal(removed?.abmTokenId, 't1', 'kept');
      await put('t1', [appleDevice('RM0001', { opDate: '2026-06-01T12:40:00.000Z', opType: 'added' })], later);
      assert.equal((await d.get('RM0001'))?.enrollmentState, 'awaiting_enrollment');
      assert.equal((await d.get('RM0001'))?.removedAt, null);

      // A refetch that no longer returns RM0002 removes it.
      await put('t1', [appleDevice('RM0001')], later, { fetchRun: 'run-2' });
      assert.equal(await repos.deviceWrites.markUnseenRemoved('t1', 'run-2', later), 1);
      assert.equal((await d.get('RM0002'))?.enrollmentState, 'removed');
      assert.equal((await d.get('RM0001'))?.enrollmentState, 'awaiting_enrollment');
    });

    test('keyset paging visits every device once in byte order, with filters, serial prefix and scope', async () => {
      const d = repos.devices;
      const serials = ['PG-A1', 'PGA1', 'PGa1', 'PG_B2', 'PG%C3', 'PGB10', 'PGB2', 'PGZ9', 'PH0001'];
      await put(
        't2',
        serials.filter((_, i) => i % 2 === 0).map((s) => appleDevice(s)),
        now,
      );
      await put(
        't3',
        serials.filter((_, i) => i % 2 === 1).map((s) => appleDevice(s)),
        now,
      );
      const expected = [...serials].sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : 1));
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await d.list({ serialPrefix: 'P' }, { limit: 2, ...(cursor === undefined ? {} : { cursor }) });
        seen.push(...page.items.map((i) => i.serialNumber));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      assert.deepEqual(seen, expected, 'the same order on both engines');

      const names = async (filter: Parameters<typeof d.list>[0]) =>
        (await d.list(filter, { limit: 50 })).items.map((i) => i.serialNumber);
      assert.deepEqual(await names({ serialPrefix: 'PGB' }), ['PGB10', 'PGB2']);
      assert.deepEqual(await names({ serialPrefix: 'PG%' }), ['PG%C3'], '% is a literal');
      assert.deepEqual(await names({ serialPrefix: 'PG_' }), ['PG_B2'], '_ is a literal');
      // Byte order: '%' < '-' < 'A'…'Z' < '_' < 'a'.
      assert.deepEqual(await names({ serialPrefix: 'PG', customerId: 'c2' }), ['PGA1', 'PGB10', 'PGZ9', 'PG_B2']);
      assert.deepEqual(await names({ serialPrefix: 'PG', siteId: 's2', abmTokenId: 't2' }), [
        'PG%C3',
        'PG-A1',
        'PGB2',
        'PGa1',
      ]);
      assert.deepEqual(await names({ serialPrefix: 'PG', onlyCustomerIds: [] }), []);
      assert.deepEqual(await names({ serialPrefix: 'PH', onlyCustomerIds: ['c2'] }), []);
      assert.deepEqual(
        await names({ serialPrefix: 'PH', enrollmentState: 'awaiting_enrollment', profileStatus: 'empty' }),
        ['PH0001'],
      );
    });

    test('summary counts by enrollment state and profile status; counts per token and per site', async () => {
      const d = repos.devices;
      await put(
        't3',
        [appleDevice('SU0001', { profileStatus: 'assigned' }), appleDevice('SU0002', { profileStatus: null })],
        now,
      );
      const summary = await d.summary({ abmTokenId: 't3' });
      const current = (await d.countCurrentByToken(['t3', 't2'])).get('t3');
      assert.equal(summary.total, current?.total);
      assert.equal(summary.byEnrollmentState.awaiting_enrollment, current?.byEnrollmentState.awaiting_enrollment);
      assert.equal(current?.byEnrollmentState.enrolled, 0);
      assert.equal(summary.byEnrollmentState.removed, 0);
      assert.ok((summary.byProfileStatus['assigned'] ?? 0) >= 1);
      assert.ok((summary.byProfileStatus['unknown'] ?? 0) >= 1);
      assert.equal((await d.summary({ onlyCustomerIds: [] })).total, 0);
      assert.equal(await d.countBySite('s3'), current?.total);
    });

    test('a moved token takes its devices along; a deleted one leaves them released, kept, without a token', async () => {
      const d = repos.devices;
      await connectedToken('t9', 'c1', 's1');
      await put('t9', [appleDevice('MV0001'), appleDevice('MV0002')], now);
      assert.equal(await repos.deviceWrites.followToken('t9', 'c2', 's3', later), 2);
      assert.deepEqual(
        (await d.list({ abmTokenId: 't9' }, { limit: 10 })).items.map((i) => [i.customerId, i.siteId, i.customerName]),
        [
          ['c2', 's3', 'Beta'],
          ['c2', 's3', 'Beta'],
        ],
      );
      assert.equal(await repos.deviceWrites.releaseToken('t9', later), 2);
      assert.deepEqual(await repos.abmTokens.delete('t9'), ['key-t9', 'cred-t9']);
      const released = await d.get('MV0001');
      assert.deepEqual(
        [released?.abmTokenId, released?.enrollmentState, released?.customerId],
        [null, 'released', 'c2'],
      );
    });

    test('deleting a site counts its devices; released devices lose the site instead of blocking it', async () => {
      await repos.sites.insert({ id: 's-gone', customerId: 'c2', name: 'Gone', nameKey: 'gone', now });
      await connectedToken('t8', 'c2', 's-gone');
      await storeDevices(repos, { tokenId: 't8', customerId: 'c2', siteId: 's-gone' }, [appleDevice('SD0001')], now);
      assert.deepEqual(await repos.sites.delete('s-gone'), { attached: { 'ABM tokens': 1, devices: 1 } });
      await repos.deviceWrites.releaseToken('t8', now);
      await repos.abmTokens.delete('t8');
      assert.equal(await repos.sites.delete('s-gone'), 'deleted');
      const device8 = await repos.devices.get('SD0001');
      assert.deepEqual([device8?.siteId, device8?.customerId, device8?.enrollmentState], [null, 'c2', 'released']);
    });

    test('assignment: pending devices are listed, outcomes recorded, refusals wait out a cool-down, a new profile makes all pending', async () => {
      const d = repos.deviceWrites;
      await connectedToken('t7', 'c1', 's1');
      await put(
        't7',
        ['AS0001', 'AS0002', 'AS0003'].map((s) => appleDevice(s)),
        now,
      );
      assert.deepEqual(await d.pendingAssignment('t7', now, 10), ['AS0001', 'AS0002', 'AS0003']);
      assert.deepEqual(await d.pendingAssignment('t7', now, 2), ['AS0001', 'AS0002']);
      const retryAt = '2026-06-01T14:00:00.000Z';
      await d.recordAssignments(
        't7',
        [
          { serialNumber: 'AS0001', status: 'assigned' },
          { serialNumber: 'AS0002', status: 'failed', error: 'FAILED' },
          { serialNumber: 'AS0003', status: 'not_accessible', error: 'NOT_ACCESSIBLE' },
        ],
        { profileUuid: 'P1', now, retryAt },
      );
      const one = await repos.devices.get('AS0001');
      assert.deepEqual(
        [one?.profileAssignStatus, one?.profileStatus, one?.profileUuid],
        ['assigned', 'assigned', 'P1'],
      );
      assert.equal((await repos.devices.get('AS0002'))?.profileAssignError, 'FAILED');
      assert.deepEqual(await d.pendingAssignment('t7', now, 10), [], 'cooling down');
      assert.deepEqual(
        await d.pendingAssignment('t7', retryAt, 10),
        ['AS0002', 'AS0003'],
        'retried after the cool-down',
      );
      assert.deepEqual(await d.requireProfile('t7', 'P2', later, { after: '', limit: 2 }), {
        changed: 2,
        next: 'AS0002',
      });
      assert.deepEqual(await d.requireProfile('t7', 'P2', later, { after: 'AS0002', limit: 2 }), {
        changed: 1,
        next: null,
      });
      assert.deepEqual(await d.pendingAssignment('t7', now, 10), ['AS0001', 'AS0002', 'AS0003']);
    });

    test('enrollment profiles: one per token, default settings once, an unguessable unique key', async () => {
      const p = repos.enrollmentProfiles;
      const settings = {
        profileName: null,
        isSupervised: true,
        isMandatory: true,
        isMdmRemovable: false,
        awaitDeviceConfigured: true,
        skipSetupItems: ['Siri'],
        department: null,
        supportPhoneNumber: null,
        supportEmailAddress: null,
        language: null,
        region: null,
        minimumIosVersion: null,
        minimumMacosVersion: '14.4',
      };
      await p.ensure('t1', 'key-one', settings, now);
      await p.ensure('t1', 'key-other', { ...settings, isSupervised: false }, now);
      const stored = await p.find('t1');
      assert.equal(stored?.enrollmentKey, 'key-one', 'ensure does not replace');
      assert.equal(stored?.settings.isSupervised, true);
      await assert.rejects(p.ensure('t2', 'key-one', settings, now), 'the key is unique');
      assert.equal((await p.findByEnrollmentKey('key-one'))?.tokenId, 't1');
      assert.equal(
        await p.saveSettings(
          't1',
          { ...settings, profileName: 'Custom', department: 'IT', skipSetupItems: ['TOS', 'Siri'] },
          later,
        ),
        true,
      );
      await p.recordDefined('t1', { profileUuid: 'UUID-1', hash: 'h1' }, later);
      const saved = await p.find('t1');
      assert.deepEqual(saved?.settings.skipSetupItems, ['TOS', 'Siri']);
      assert.deepEqual(
        [saved?.settings.profileName, saved?.profileUuid, saved?.definedAt],
        ['Custom', 'UUID-1', later],
      );
      assert.equal(await p.saveSettings('missing', settings, later), false);
    });

    test('sync state: rows for connected tokens, requests, and a lease only one process can hold at a time', async () => {
      const s = repos.syncStates;
      const other = repositoriesOf(second.kysely).syncStates;
      assert.ok((await s.ensureForConnectedTokens(now)) >= 3);
      assert.equal(await s.ensureForConnectedTokens(now), 0);
      const lease = { tokenId: 't1', owner: 'process-a' };
      const until = '2026-06-01T12:01:00.000Z';
      // Two processes claim the same due tokens at the same moment: each token goes to one.
      const [a, b] = await Promise.all([
        s.claimDue('process-a', now, until, 10),
        other.claimDue('process-b', now, until, 10),
      ]);
      assert.equal(a.filter((id) => b.includes(id)).length, 0, `no token claimed twice: ${a} / ${b}`);
      assert.ok(a.length + b.length >= 3);
      const holder = a.includes('t1') ? 'process-a' : 'process-b';
      const mine = { ...lease, owner: holder };
      const theirs = { ...lease, owner: holder === 'process-a' ? 'process-b' : 'process-a' };
      assert.equal(await s.claim('t1', theirs.owner, now, until), false, 'held');
      assert.equal(
        await s.commitPage(theirs, { phase: 'fetch', cursor: 'c1', fetchRun: 'r', devices: 5 }, now, until),
        false,
      );
      assert.equal(
        await s.commitPage(mine, { phase: 'fetch', cursor: 'c1', fetchRun: 'r', devices: 5 }, now, until),
        true,
      );
      assert.equal(await s.renew(mine, now, until), true);
      await s.request('t1', now);
      assert.equal((await s.find('t1'))?.requestedAt, now, 'queued while running');
      // The holder dies: after the lease expires another process takes over, and the dead
      // one can no longer commit anything.
      const expired = '2026-06-01T12:02:00.000Z';
      assert.equal(await s.claim('t1', theirs.owner, expired, '2026-06-01T12:03:00.000Z'), true);
      assert.equal(await s.renew(mine, expired, '2026-06-01T12:03:00.000Z'), false);
      const taken = await s.find('t1');
      assert.deepEqual(
        [taken?.leaseOwner, taken?.cursor, taken?.pages, taken?.requestedAt],
        [theirs.owner, 'c1', 0, null],
      );
      await s.request('t1', expired);
      await s.finish(theirs, { ok: true, nextRunAt: '2026-06-01T12:10:00.000Z', now: expired });
      const finished = await s.find('t1');
      assert.deepEqual(
        [finished?.leaseOwner, finished?.nextRunAt, finished?.failures],
        [null, expired, 0],
        'asked again during the run: due at once',
      );
      await s.resetCursor('t1', expired);
      assert.deepEqual([(await s.find('t1'))?.phase, (await s.find('t1'))?.cursor], ['fetch', null]);
      const states = await s.findMany(['t1', 't2', 'nope']);
      assert.deepEqual([...states.keys()].sort(), ['t1', 't2']);
    });
  });
}
