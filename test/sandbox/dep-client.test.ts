// Orchard's own DEP client (src/apple/dep), pointed at the sandbox by base URL only, over real
// HTTP: the two were written separately from Apple's documentation, so agreement here means
// the wire format holds from both sides.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DepClient,
  DepCursorExhaustedError,
  DepTermsNotAcceptedError,
  DepTokenRejectedError,
  fetchAllDevices,
  syncDevices,
} from '../../src/apple/dep/index.js';
import type { ServerToken } from '../../src/apple/token-file.js';
import { createServer, portal, startSandbox, tokenFor, type Sandbox } from './support.js';

describe("Orchard's DEP client against the sandbox", () => {
  let sandbox: Sandbox;
  let serverId: string;
  let token: ServerToken;
  let client: DepClient;
  let serials: string[];

  const makeClient = (t: ServerToken) =>
    new DepClient({
      baseUrl: `${sandbox.baseUrl}/sandbox/dep`,
      token: t,
      sleep: async () => undefined,
      maxAttempts: 3,
    });

  before(async () => {
    sandbox = await startSandbox({ listen: true });
    const created = await createServer(sandbox, 'Interop');
    serverId = created.id;
    token = await tokenFor(sandbox, serverId, created.keyPair);
    client = makeClient(token);
    serials = (await portal(sandbox, 'POST', '/devices', { count: 250, mdmServerId: serverId })).json()['serials'];
  });
  after(() => sandbox.destroy());

  test('account, a paged fetch, then sync after a change', async () => {
    const account = await client.account();
    assert.equal(account.serverName, 'Interop');
    assert.equal(account.orgType, 'org');

    const fetched: string[] = [];
    let cursor = '';
    for await (const page of fetchAllDevices(client, { limit: 100 })) {
      fetched.push(...page.devices.map((device) => device.serialNumber));
      cursor = page.cursor;
    }
    assert.deepEqual(fetched, [...serials].sort());
    await assert.rejects(client.fetchDevices({ cursor }), DepCursorExhaustedError);

    await portal(sandbox, 'DELETE', `/mdm-servers/${serverId}/devices`, { serials: [serials[0]] });
    const events = [];
    for await (const page of syncDevices(client, cursor)) events.push(...page.devices);
    assert.deepEqual(
      events.map((device) => [device.serialNumber, device.opType]),
      [[serials[0], 'deleted']],
    );
  });

  test('profiles: define with devices, read back, assign and remove', async () => {
    const defined = await client.defineProfile({
      profileName: 'Interop profile',
      url: 'https://orchard.example.com/mdm/enroll/k',
      isSupervised: true,
      devices: [serials[1] ?? ''],
    });
    assert.equal(defined.devices[serials[1] ?? ''], 'SUCCESS');
    const profile = await client.getProfile(defined.profileUuid);
    assert.equal(profile.profileName, 'Interop profile');
    const assigned = await client.assignProfile(defined.profileUuid, [serials[2] ?? '']);
    assert.equal(assigned.devices[serials[2] ?? ''], 'SUCCESS');
    const removed = await client.removeProfile([serials[2] ?? '']);
    assert.equal(removed[serials[2] ?? ''], 'SUCCESS');
  });

  test('it retries through 429 and 503 faults and renews a session the sandbox expired', async () => {
    await portal(sandbox, 'POST', `/mdm-servers/${serverId}/faults`, [
      { kind: 'rateLimit', retryAfterSeconds: 1, count: 1, path: '/account' },
      { kind: 'unavailable', retryAfterSeconds: 1, count: 1, path: '/account' },
    ]);
    assert.equal((await client.account()).serverName, 'Interop');
    await portal(sandbox, 'POST', `/mdm-servers/${serverId}/faults`, [{ kind: 'expireSessions' }]);
    assert.equal((await client.account()).serverName, 'Interop');
  });

  test('terms not accepted and a superseded token surface as their typed errors', async () => {
    await portal(sandbox, 'POST', '/terms', { accepted: false });
    try {
      await assert.rejects(makeClient(token).account(), DepTermsNotAcceptedError);
    } finally {
      await portal(sandbox, 'POST', '/terms', { accepted: true });
    }
    const { keyPair } = await createServer(sandbox, 'Interop renewal');
    const servers = (await portal(sandbox, 'GET', '/mdm-servers')).json()['items'] as Array<{
      id: string;
      name: string;
    }>;
    const renewalId = servers.find((s) => s.name === 'Interop renewal')?.id ?? '';
    const old = await tokenFor(sandbox, renewalId, keyPair);
    await tokenFor(sandbox, renewalId, keyPair);
    await assert.rejects(makeClient(old).account(), DepTokenRejectedError);
  });
});
