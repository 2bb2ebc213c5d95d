// The device sync end to end against the Apple sandbox over real HTTP, on each engine: the
// issue's "done when" scenario — 2,500 devices appear under the token's customer and site
// with the profile assigned after one sync; unassigned and moved devices show correctly
// after the next; a profile change re-assigns them; moving the token moves its devices.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engines } from '../helpers/services.js';
import { allDevices, connectToken, customerWithSites, json, startSyncOrchard, type SyncHarness } from './support.js';

const DAY_SECONDS = 24 * 3600;

for (const { engine, skip } of await engines()) {
  describe(`device sync against the sandbox on ${engine}`, { skip }, () => {
    let h: SyncHarness;
    let acme: { customerId: string; siteIds: string[] };
    let beta: { customerId: string; siteIds: string[] };
    let a: { tokenId: string; serverId: string };
    let b: { tokenId: string; serverId: string };
    let serials: string[];

    before(async () => {
      h = await startSyncOrchard(engine);
      acme = await customerWithSites(h, 'Acme Corp', ['Main Office', 'Warehouse']);
      beta = await customerWithSites(h, 'Beta Ltd', ['HQ']);
      a = await connectToken(h, acme.customerId, acme.siteIds[0] ?? '', 'Acme MDM');
      b = await connectToken(h, beta.customerId, beta.siteIds[0] ?? '', 'Beta MDM');
    });
    after(() => h.close());

    const token = async (id: string) => json(await h.api('GET', `/api/v1/abm-tokens/${id}`));
    const sandboxDevice = async (serial: string) => json(await h.portal('GET', `/devices/${serial}`));
    const syncNow = async (id: string) => json(await h.api('POST', `/api/v1/abm-tokens/${id}/sync`), 202);

    test('2,500 devices assigned in ABM all appear under the token’s customer and site with the profile assigned after one sync', async () => {
      assert.equal((await token(a.tokenId))['sync']['state'], 'queued', 'a sync is queued right after the upload');
      serials = json(await h.portal('POST', '/devices', { count: 2500, mdmServerId: a.serverId }), 201)['serials'];

      const results = await h.orchard.sync.runUntilIdle();
      assert.deepEqual(
        results.map((r) => r.outcome),
        ['synced', 'synced'],
        JSON.stringify(results.map((r) => (r.outcome === 'failed' ? String(r.error) : r.outcome))),
      );

      const devices = await allDevices(h, `abmTokenId=${a.tokenId}`);
      assert.equal(devices.length, 2500);
      assert.deepEqual(new Set(devices.map((d) => d['serialNumber'])), new Set(serials));
      const profile = json(await h.api('GET', `/api/v1/abm-tokens/${a.tokenId}/enrollment-profile`));
      assert.match(profile['profileUuid'], /^[0-9A-F]{32}$/);
      for (const d of devices) {
        assert.equal(d['customerId'], acme.customerId);
        assert.equal(d['customerName'], 'Acme Corp');
        assert.equal(d['siteName'], 'Main Office');
        assert.equal(d['serverName'], 'Acme MDM');
        assert.equal(d['enrollmentState'], 'awaiting_enrollment');
        assert.equal(d['profileStatus'], 'assigned');
        assert.equal(d['profileAssignStatus'], 'assigned');
        assert.equal(d['profileUuid'], profile['profileUuid']);
      }
      // Apple's side agrees.
      const onApple = await sandboxDevice(serials[1234] ?? '');
      assert.deepEqual([onApple['profileUuid'], onApple['profileStatus']], [profile['profileUuid'], 'assigned']);

      const t = await token(a.tokenId);
      assert.equal(t['deviceCount'], 2500);
      assert.equal(t['lastSyncError'], null);
      assert.ok(t['lastSyncAt']);
      assert.equal(t['sync']['state'], 'idle');
      assert.ok(t['sync']['pages'] >= 3 && t['sync']['devices'] >= 2500, JSON.stringify(t['sync']));

      const summary = json(await h.api('GET', `/api/v1/devices/summary?customerId=${acme.customerId}`));
      assert.equal(summary['total'], 2500);
      assert.equal(summary['byProfileStatus']['assigned'], 2500);
      assert.equal(summary['byEnrollmentState']['awaiting_enrollment'], 2500);
      const one = json(await h.api('GET', `/api/v1/devices/${serials[0]}`));
      assert.equal(one['siteId'], acme.siteIds[0]);
      assert.equal(json(await h.api('GET', '/api/v1/devices/NOSUCHSERIAL'), 404)['code'], 'NOT_FOUND');
    });

    test('after the next sync, 10 unassigned devices show removed with the date and 5 moved ones under the other token', async () => {
      const unassigned = serials.slice(0, 10);
      const moved = serials.slice(10, 15);
      json(await h.portal('DELETE', `/mdm-servers/${a.serverId}/devices`, { serials: unassigned }));
      json(await h.portal('POST', `/mdm-servers/${b.serverId}/devices`, { serials: moved }));
      assert.equal((await syncNow(a.tokenId))['sync']['state'], 'queued');
      await syncNow(b.tokenId);
      await h.orchard.sync.runUntilIdle();

      for (const serial of unassigned) {
        const d = json(await h.api('GET', `/api/v1/devices/${serial}`));
        assert.equal(d['enrollmentState'], 'removed');
        assert.ok(d['removedAt']);
        assert.equal(d['abmTokenId'], a.tokenId, 'kept under the token it left');
      }
      const bProfile = json(await h.api('GET', `/api/v1/abm-tokens/${b.tokenId}/enrollment-profile`));
      const onB = await allDevices(h, `abmTokenId=${b.tokenId}`);
      assert.deepEqual(onB.map((d) => d['serialNumber']).sort(), [...moved].sort());
      for (const d of onB) {
        assert.deepEqual(
          [d['customerName'], d['siteName'], d['enrollmentState']],
          ['Beta Ltd', 'HQ', 'awaiting_enrollment'],
        );
        assert.deepEqual([d['profileStatus'], d['profileUuid']], ['assigned', bProfile['profileUuid']]);
      }
      assert.equal((await token(a.tokenId))['deviceCount'], 2485);
      assert.equal((await token(b.tokenId))['deviceCount'], 5);
      const removedList = await allDevices(h, `abmTokenId=${a.tokenId}&enrollmentState=removed`);
      assert.deepEqual(removedList.map((d) => d['serialNumber']).sort(), [...unassigned].sort());
    });

    test('changing the profile defines it anew with Apple and re-assigns it to every device of the token', async () => {
      const before = json(await h.api('GET', `/api/v1/abm-tokens/${a.tokenId}/enrollment-profile`));
      const { url, profileUuid, definedAt, lastError, ...editable } = before;
      assert.match(url, new RegExp(`^${h.base}/mdm/enroll/[A-Za-z0-9_-]{43}$`));
      const saved = json(
        await h.api('PUT', `/api/v1/abm-tokens/${a.tokenId}/enrollment-profile`, {
          ...editable,
          department: 'IT Services',
          supportPhoneNumber: '+1 555 0100',
          skipSetupItems: ['AppleID', 'Siri'],
        }),
      );
      assert.equal(saved['department'], 'IT Services');
      assert.equal(saved['url'], url, 'the enrollment URL never changes');
      assert.equal((await token(a.tokenId))['sync']['state'], 'queued');
      await h.orchard.sync.runUntilIdle();

      const after = json(await h.api('GET', `/api/v1/abm-tokens/${a.tokenId}/enrollment-profile`));
      assert.notEqual(after['profileUuid'], profileUuid);
      assert.notEqual(after['definedAt'], definedAt);
      const current = await allDevices(h, `abmTokenId=${a.tokenId}&enrollmentState=awaiting_enrollment`);
      assert.equal(current.length, 2485);
      assert.ok(
        current.every((d) => d['profileUuid'] === after['profileUuid'] && d['profileAssignStatus'] === 'assigned'),
      );
      assert.equal((await sandboxDevice(current[100]?.['serialNumber'])).profileUuid, after['profileUuid']);
    });

    test('moving the token to another site moves its devices at once', async () => {
      json(
        await h.api('PATCH', `/api/v1/abm-tokens/${a.tokenId}`, {
          customerId: acme.customerId,
          siteId: acme.siteIds[1],
        }),
      );
      const atWarehouse = await allDevices(h, `siteId=${acme.siteIds[1]}`);
      assert.equal(atWarehouse.length, 2495, 'current and removed devices of the token');
      assert.ok(atWarehouse.every((d) => d['siteName'] === 'Warehouse'));
      assert.equal((await allDevices(h, `siteId=${acme.siteIds[0]}`)).length, 0);
    });

    test('a failing token records Apple’s error on itself and backs off, without stopping the other token', async () => {
      json(await h.portal('POST', `/mdm-servers/${a.serverId}/faults`, [{ kind: 'termsNotAccepted' }]));
      const added = json(await h.portal('POST', '/devices', { count: 3, mdmServerId: b.serverId }), 201)['serials'];
      await syncNow(a.tokenId);
      await syncNow(b.tokenId);
      const results = await h.orchard.sync.runUntilIdle();
      assert.deepEqual(results.map((r) => r.outcome).sort(), ['failed', 'synced']);
      const failed = await token(a.tokenId);
      assert.equal(failed['status'], 'terms_not_accepted');
      assert.match(failed['lastSyncError'], /terms and conditions/);
      const state = await h.orchard.db.kysely
        .selectFrom('sync_states')
        .selectAll()
        .where('token_id', '=', a.tokenId)
        .executeTakeFirstOrThrow();
      assert.ok(state.next_run_at > new Date().toISOString(), 'backs off');
      assert.equal(Number(state.failures), 1);
      assert.equal((await token(b.tokenId))['deviceCount'], 8, 'the other token synced');
      assert.ok(added.every((s: string) => typeof s === 'string'));

      // The administrator accepts the terms; the next sync clears the status.
      assert.equal((await h.portal('DELETE', `/mdm-servers/${a.serverId}/faults`)).statusCode, 204);
      await syncNow(a.tokenId);
      await h.orchard.sync.runUntilIdle();
      const healed = await token(a.tokenId);
      assert.deepEqual([healed['status'], healed['lastSyncError']], ['active', null]);
    });

    test('a cursor older than seven days makes the next sync fetch everything again; devices that left meanwhile are removed', async () => {
      json(await h.portal('POST', '/clock', { advanceSeconds: 8 * DAY_SECONDS }));
      const left = serials.slice(20, 23);
      json(await h.portal('DELETE', `/mdm-servers/${a.serverId}/devices`, { serials: left }));
      await syncNow(a.tokenId);
      const [result] = await h.orchard.sync.runUntilIdle();
      assert.equal(result?.outcome, 'synced');
      for (const serial of left)
        assert.equal(json(await h.api('GET', `/api/v1/devices/${serial}`))['enrollmentState'], 'removed');
      assert.equal((await token(a.tokenId))['deviceCount'], 2482);
      const truth = new Set<string>();
      let after = '';
      for (;;) {
        const page = json(await h.portal('GET', `/devices?serverId=${a.serverId}&limit=1000&after=${after}`));
        for (const d of page['items']) truth.add(d['serialNumber']);
        if (page['nextCursor'] === null) break;
        after = page['nextCursor'];
      }
      const current = await allDevices(h, `abmTokenId=${a.tokenId}&enrollmentState=awaiting_enrollment`);
      assert.deepEqual(new Set(current.map((d) => d['serialNumber'])), truth, 'exactly the sandbox’s set');
    });

    test('deleting a token keeps its devices, released, without a token', async () => {
      assert.equal((await h.api('DELETE', `/api/v1/abm-tokens/${b.tokenId}`)).statusCode, 204);
      const released = await allDevices(h, `customerId=${beta.customerId}`);
      assert.equal(released.length, 8);
      assert.ok(released.every((d) => d['enrollmentState'] === 'released' && d['abmTokenId'] === null));
      assert.equal(json(await h.api('POST', `/api/v1/abm-tokens/${b.tokenId}/sync`), 404)['code'], 'NOT_FOUND');
    });
  });
}
