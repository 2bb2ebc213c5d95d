// The DEP client against the Apple sandbox over real HTTP, with every fault the sandbox can
// inject, from a key pair made by Orchard's PKI to the exact device set: no Orchard product
// code (storage, HTTP app) in between, only src/apple and the sandbox reached by URL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DepClient,
  DepCursorExpiredError,
  fetchAllDevices,
  recoverFromCursorError,
  syncDevices,
  type Device,
} from '../../../src/apple/dep/index.js';
import { generateTokenKeyPair } from '../../../src/apple/pki.js';
import { decryptServerToken } from '../../../src/apple/token-file.js';
import { portal, startSandbox, type Sandbox } from '../../sandbox/support.js';

const DAY_MS = 24 * 3600_000;

describe('DEP client and Apple sandbox: round trip under faults', () => {
  let sandbox: Sandbox;
  let serverId: string;
  let client: DepClient;
  /** What the sandbox says is assigned to our server: the truth every run must end with. */
  const assigned = new Set<string>();
  let cursor = '';

  before(async () => {
    sandbox = await startSandbox({ listen: true });
    const keyPair = await generateTokenKeyPair({ commonName: 'Round trip', now: sandbox.clock.now() });
    const created = await portal(sandbox, 'POST', '/mdm-servers', {
      name: 'Round trip server',
      publicKeyPem: keyPair.certificatePem,
    });
    serverId = created.json()['id'];
    const file = await sandbox.app.inject({ method: 'GET', url: `/sandbox/abm/api/mdm-servers/${serverId}/token` });
    assert.equal(file.statusCode, 200);
    const { token } = decryptServerToken(file.rawPayload, [{ id: 'k', ...keyPair }], sandbox.clock.now());
    client = new DepClient({
      baseUrl: `${sandbox.baseUrl}/sandbox/dep`,
      token,
      // Waiting out Retry-After for real would only slow the suite; the schedule is tested elsewhere.
      sleep: async () => undefined,
      timeoutMs: 250,
      maxAttempts: 4,
      clock: { now: sandbox.clock.now },
    });
    const serials: string[] = (
      await portal(sandbox, 'POST', '/devices', { count: 2500, mdmServerId: serverId })
    ).json()['serials'];
    for (const s of serials) assigned.add(s);
  });
  after(() => sandbox.destroy());

  const faults = async (rules: unknown[]) => {
    // Each fault must have been used up before the next is set: proof the client met it.
    assert.deepEqual(await pendingFaults(), [], 'the previous fault was hit');
    await portal(sandbox, 'POST', `/mdm-servers/${serverId}/faults`, rules);
  };
  const pendingFaults = async () =>
    (
      (await portal(sandbox, 'GET', `/mdm-servers/${serverId}/faults`)).json()['rules'] as Array<{
        remaining: number | null;
      }>
    ).filter((r) => r.remaining === null || r.remaining > 0);

  test('a full fetch through 429s, 503s, dropped connections, a slow answer and expired sessions returns every device once', async () => {
    const seen: string[] = [];
    let page = 0;
    for await (const p of fetchAllDevices(client, { limit: 200 })) {
      seen.push(...p.devices.map((d) => d.serialNumber));
      cursor = p.cursor;
      page += 1;
      // A different fault before each of the next pages.
      if (page === 1) await faults([{ kind: 'rateLimit', retryAfterSeconds: 2, count: 2, path: '/server/devices' }]);
      if (page === 2) await faults([{ kind: 'unavailable', retryAfterSeconds: 1, count: 2, path: '/server/devices' }]);
      if (page === 3) await faults([{ kind: 'dropConnection', count: 2, path: '/server/devices' }]);
      if (page === 4) await faults([{ kind: 'slow', delayMs: 600, count: 1, path: '/server/devices' }]);
      if (page === 5) await faults([{ kind: 'expireSessions' }]);
    }
    assert.ok(page > 5, 'every fault was armed during the fetch');
    assert.deepEqual(await pendingFaults(), [], 'and met');
    assert.equal(seen.length, assigned.size, 'no device twice');
    assert.deepEqual(new Set(seen), assigned);
  });

  test('sync after assigning, moving and unassigning in ABM ends with exactly the assigned set', async () => {
    const other = await portal(sandbox, 'POST', '/mdm-servers', {
      name: 'Other server',
      publicKeyPem: (await generateTokenKeyPair({ commonName: 'Other', now: sandbox.clock.now() })).certificatePem,
    });
    const list = [...assigned];
    const unassign = list.slice(0, 10);
    const move = list.slice(10, 15);
    await portal(sandbox, 'DELETE', `/mdm-servers/${serverId}/devices`, { serials: unassign });
    await portal(sandbox, 'POST', `/mdm-servers/${other.json()['id']}/devices`, { serials: move });
    const added: string[] = (await portal(sandbox, 'POST', '/devices', { count: 7, mdmServerId: serverId })).json()[
      'serials'
    ];
    for (const s of [...unassign, ...move]) assigned.delete(s);
    for (const s of added) assigned.add(s);

    await portal(sandbox, 'POST', `/mdm-servers/${serverId}/faults`, [
      { kind: 'rateLimit', retryAfterSeconds: 1, count: 1, path: '/devices/sync' },
      { kind: 'dropConnection', count: 1, path: '/devices/sync' },
    ]);
    const latest = new Map<string, Device>();
    for await (const p of syncDevices(client, cursor, { limit: 5 })) {
      // Apple can repeat a device within a sync: the latest op_date wins.
      for (const d of p.devices) {
        const known = latest.get(d.serialNumber);
        if (known === undefined || (d.opDate ?? '') >= (known.opDate ?? '')) latest.set(d.serialNumber, d);
      }
      cursor = p.cursor;
    }
    assert.deepEqual(await pendingFaults(), [], 'both sync faults were met');
    assert.deepEqual(
      new Set([...latest.values()].filter((d) => d.opType === 'deleted').map((d) => d.serialNumber)),
      new Set([...unassign, ...move]),
    );
    assert.deepEqual(
      new Set([...latest.values()].filter((d) => d.opType !== 'deleted').map((d) => d.serialNumber)),
      new Set(added),
    );
  });

  test('a cursor older than seven days is refused; the client says to fetch everything again, which yields the exact set', async () => {
    sandbox.clock.advance(8 * DAY_MS);
    const error = await syncDevices(client, cursor)
      .next()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(error instanceof DepCursorExpiredError, `got ${String(error)}`);
    assert.deepEqual(recoverFromCursorError(error, { during: 'sync', cursor }), { next: 'full_fetch' });
    const seen = new Set<string>();
    for await (const p of fetchAllDevices(client, { limit: 1000 })) for (const d of p.devices) seen.add(d.serialNumber);
    assert.deepEqual(seen, assigned);
  });
});
