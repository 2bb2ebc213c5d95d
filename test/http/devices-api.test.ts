import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Device } from '../../src/apple/dep/index.js';
import { repositoriesOf, type Repositories } from '../../src/store/repositories/index.js';
import { startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';
import { appleDevice, storeDevices } from '../helpers/devices.js';

/** An iPhone already carrying the token's profile (PROFILE), unless `extra` says otherwise. */
function device(serialNumber: string, extra: Partial<Device> = {}): Device {
  return appleDevice(serialNumber, {
    color: 'BLUE',
    description: 'IPHONE 15 BLUE 128GB',
    profileStatus: 'assigned',
    profileUuid: 'PROFILE',
    profileAssignTime: '2026-05-02T00:00:00.000Z',
    deviceAssignedBy: 'abm-admin@acme.example',
    ...extra,
  });
}

for (const { engine, skip } of await engines()) {
  describe(`devices API on ${engine}`, { skip }, () => {
    let t: TestOrchard;
    let repos: Repositories;
    const now = '2026-06-01T12:00:00.000Z';
    let acme: { id: string; site: string; token: string };
    let beta: { id: string; site: string; token: string };

    async function placedToken(customer: string): Promise<{ id: string; site: string; token: string }> {
      const id = (await t.api('POST', '/api/v1/customers', { name: customer })).json().id as string;
      const site = (await t.api('POST', `/api/v1/customers/${id}/sites`, { name: 'Main' })).json().id as string;
      const token = `tok-${customer}`;
      await repos.secrets.insert({ id: `k-${token}`, purpose: 'test', sealed: 'x', keyId: 'k', now });
      await repos.secrets.insert({ id: `c-${token}`, purpose: 'test', sealed: 'x', keyId: 'k', now });
      await repos.abmTokens.insert(
        { id: token, customerId: id, siteId: site, depBaseUrl: 'http://apple.test', now },
        { id: `kp-${token}`, certificatePem: 'pem', privateKeySecretId: `k-${token}`, now },
      );
      await repos.abmTokens.connect(token, {
        credentialsSecretId: `c-${token}`,
        server: { name: `${customer} MDM`, uuid: `uuid-${token}`, orgName: customer, orgEmail: null, adminId: null },
        expiresAt: '2027-06-01T00:00:00.000Z',
        keyId: `kp-${token}`,
        now,
      });
      return { id, site, token };
    }

    before(async () => {
      t = await startTestOrchard(engine);
      repos = repositoriesOf(t.orchard.db.kysely);
      acme = await placedToken('Acme');
      beta = await placedToken('Beta');
      const acmeSerials = Array.from({ length: 23 }, (_, i) => `C02ACME${String(i).padStart(4, '0')}`);
      const placed = (p: typeof acme) => ({
        tokenId: p.token,
        customerId: p.id,
        siteId: p.site,
        profileUuid: 'PROFILE',
      });
      await storeDevices(
        repos,
        placed(acme),
        acmeSerials.map((s, i) => device(s, i < 3 ? { profileStatus: 'empty', profileUuid: null } : {})),
        now,
      );
      await storeDevices(repos, placed(acme), [device('C02ACME0022', { opType: 'deleted', opDate: now })], now);
      await storeDevices(
        repos,
        placed(beta),
        ['F9BETA0001', 'F9BETA0002'].map((s) => device(s)),
        now,
      );
    });
    after(() => t.close());

    const get = async (url: string, headers: Record<string, string> = {}) => t.api('GET', url, undefined, headers);

    test('devices list sorted by serial in keyset pages, filtered by customer, site, token, state and profile status', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const res = await get(
          `/api/v1/devices?customerId=${acme.id}&limit=10${cursor === undefined ? '' : `&cursor=${cursor}`}`,
        );
        assert.equal(res.statusCode, 200, res.body);
        seen.push(...res.json().items.map((d: { serialNumber: string }) => d.serialNumber));
        cursor = res.json().nextCursor;
      } while (cursor !== undefined);
      assert.equal(seen.length, 23);
      assert.deepEqual(seen, [...seen].sort());

      const first = (await get(`/api/v1/devices?siteId=${beta.site}`)).json().items[0];
      assert.deepEqual(
        Object.keys(first).sort(),
        [
          'serialNumber',
          'model',
          'description',
          'color',
          'os',
          'deviceFamily',
          'assetTag',
          'abmTokenId',
          'customerId',
          'customerName',
          'siteId',
          'siteName',
          'serverName',
          'profileStatus',
          'profileUuid',
          'profileAssignStatus',
          'profileAssignError',
          'assignedAt',
          'assignedBy',
          'enrollmentState',
          'removedAt',
          'enrolledAt',
          'udid',
          'deviceName',
          'osVersion',
          'buildVersion',
          'modelName',
          'productName',
          'lastSeenAt',
          'setupReleasedAt',
          'updatedAt',
        ].sort(),
      );
      assert.deepEqual(
        [first.serialNumber, first.customerName, first.siteName, first.serverName, first.assignedBy],
        ['F9BETA0001', 'Beta', 'Main', 'Beta MDM', 'abm-admin@acme.example'],
      );
      const count = async (query: string) => (await get(`/api/v1/devices?limit=500&${query}`)).json().items.length;
      assert.equal(await count(`abmTokenId=${beta.token}`), 2);
      assert.equal(await count(`customerId=${acme.id}&enrollmentState=removed`), 1);
      assert.equal(await count(`customerId=${acme.id}&profileStatus=empty`), 3);
      assert.equal(await count('q=c02acme001'), 10, 'serial prefix, any case');
      assert.equal(await count(`q=f9&customerId=${acme.id}`), 0);
    });

    test('a device by serial; the summary counts a scope by state and profile status', async () => {
      const one = await get('/api/v1/devices/C02ACME0022');
      assert.equal(one.statusCode, 200);
      assert.deepEqual([one.json().enrollmentState, one.json().removedAt], ['removed', now]);
      const missing = await get('/api/v1/devices/NOPE');
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().code, 'NOT_FOUND');
      const summary = (await get(`/api/v1/devices/summary?customerId=${acme.id}`)).json();
      assert.deepEqual(summary, {
        total: 23,
        byEnrollmentState: {
          awaiting_enrollment: 22,
          enrolling: 0,
          enrolled: 0,
          unenrolled: 0,
          removed: 1,
          released: 0,
        },
        byProfileStatus: { empty: 3, assigned: 20, pushed: 0, removed: 0, unknown: 0 },
      });
      assert.equal((await get('/api/v1/devices/summary')).json().total, 25);
    });

    test('bad filters and cursors answer 400 with VALIDATION_FAILED', async () => {
      for (const query of ['enrollmentState=lost', 'profileStatus=nope', 'limit=501', 'limit=0', 'cursor=%%%']) {
        const res = await get(`/api/v1/devices?${query}`);
        assert.equal(res.statusCode, 400, query);
        assert.equal(res.json().code, 'VALIDATION_FAILED', query);
      }
    });

    test('a technician sees only the devices of their customers; others answer 404', async () => {
      await t.orchard.users.createUser({
        email: `dev-tech-${engine}@example.com`,
        password: 'technician password',
        role: 'technician',
        customerIds: [beta.id],
      });
      const { key } = await t.orchard.apiKeys.createFromShell({
        name: 'tech',
        userEmail: `dev-tech-${engine}@example.com`,
      });
      const asTech = { authorization: `Bearer ${key}` };
      const all = (await get('/api/v1/devices?limit=500', asTech)).json().items;
      assert.deepEqual(
        all.map((d: { serialNumber: string }) => d.serialNumber),
        ['F9BETA0001', 'F9BETA0002'],
      );
      assert.equal((await get(`/api/v1/devices?customerId=${acme.id}`, asTech)).statusCode, 404);
      assert.equal((await get('/api/v1/devices/C02ACME0001', asTech)).statusCode, 404);
      assert.equal((await get('/api/v1/devices/F9BETA0001', asTech)).statusCode, 200);
      assert.equal((await get('/api/v1/devices/summary', asTech)).json().total, 2);
      assert.equal((await get(`/api/v1/devices?abmTokenId=${acme.token}`, asTech)).json().items.length, 0);
    });

    test('token JSON counts the token’s current devices and shows its sync; Sync now answers 202, or 409 without a token file', async () => {
      const token = (await get(`/api/v1/abm-tokens/${acme.token}`)).json();
      assert.equal(token.deviceCount, 22, 'the removed one is not counted');
      assert.deepEqual(token.sync, { state: 'idle', pages: 0, devices: 0, startedAt: null, leaseExpiresAt: null });
      const listed = (await get(`/api/v1/abm-tokens?customerId=${beta.id}`)).json().items;
      assert.equal(listed[0].deviceCount, 2);

      const queued = await t.api('POST', `/api/v1/abm-tokens/${acme.token}/sync`);
      assert.equal(queued.statusCode, 202);
      assert.equal(queued.json().sync.state, 'queued');
      const awaiting = (await t.api('POST', '/api/v1/abm-tokens', { customerId: acme.id, siteId: acme.site })).json();
      const refused = await t.api('POST', `/api/v1/abm-tokens/${awaiting.id}/sync`);
      assert.equal(refused.statusCode, 409);
      assert.equal(refused.json().code, 'TOKEN_NOT_CONNECTED');
      assert.equal((await t.api('POST', '/api/v1/abm-tokens/nope/sync')).statusCode, 404);
    });

    test('the OpenAPI document describes the device routes', async () => {
      const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      for (const path of [
        '/api/v1/devices',
        '/api/v1/devices/summary',
        '/api/v1/devices/{serialNumber}',
        '/api/v1/abm-tokens/{id}/sync',
        '/api/v1/abm-tokens/{id}/enrollment-profile',
      ]) {
        assert.ok(doc.paths[path], `${path} is documented`);
      }
    });
  });
}
