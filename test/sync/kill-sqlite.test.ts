import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, test } from 'node:test';
import {
  DAY_SECONDS,
  api,
  connectedToken,
  orchardEnv,
  orchardSerials,
  runningPast,
  sandboxSerials,
  startSandboxProcess,
  startServe,
  synced,
  temp,
} from './processes.js';

// Crash safety with real processes: `orchard serve` syncing from the Apple sandbox (its own
// process, so it outlives the kills) is killed with SIGKILL three times mid-sync, restarted,
// and must end with exactly the sandbox's device set — none lost, none duplicated — through
// 429s, 503s, dropped connections, expired sessions and an expired cursor.
//
// 10,000 devices in pages of 100 keep this well under a minute; bench/sync-kill.ts runs the
// same scenario with 100,000.
describe('device sync survives SIGKILL on SQLite', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  test('SQLite: 10,000 devices through 429s, 503s, dropped connections, expired sessions, an expired cursor and three kills end exactly as the sandbox', async () => {
    const sandboxDir = temp('orchard-kill-sandbox-');
    const dataDir = temp('orchard-kill-data-');
    const sandbox = await startSandboxProcess(sandboxDir);
    cleanups.push(async () => {
      await sandbox.stop();
      fs.rmSync(sandboxDir, { recursive: true, force: true });
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
    const env = orchardEnv(sandbox, dataDir, { ORCHARD_SYNC_PAGE_SIZE: '100', ORCHARD_SYNC_LEASE_SECONDS: '2' });
    let server = await startServe(env);
    cleanups.push(async () => void (await server.stop('SIGKILL')));
    const started = new Date().toISOString();

    const { tokenId, serverId } = await connectedToken(server, sandbox, 10_000, [
      // Each call meets at most a few faults in a row: within the client's retries (5 attempts).
      { kind: 'slow', delayMs: 15, path: '/server/devices' },
      { kind: 'rateLimit', retryAfterSeconds: 1, count: 1, path: '/server/devices' },
      { kind: 'unavailable', retryAfterSeconds: 1, count: 1, path: '/server/devices' },
      { kind: 'dropConnection', count: 1, path: '/server/devices' },
    ]);

    // Kill 1, in the middle of the first full fetch.
    const run1 = await runningPast(server, tokenId, 15);
    await server.stop('SIGKILL');
    // ABM changes while Orchard is down; every session Orchard had dies.
    const more: string[] = (await sandbox.portal('POST', '/devices', { count: 50, mdmServerId: serverId }))['serials'];
    const gone = [...(await sandboxSerials(sandbox, serverId))].filter((s) => !more.includes(s)).slice(100, 130);
    await sandbox.portal('DELETE', `/mdm-servers/${serverId}/devices`, { serials: gone });
    await sandbox.portal('POST', `/mdm-servers/${serverId}/faults`, [
      { kind: 'slow', delayMs: 15, path: '/server/devices' },
      { kind: 'expireSessions' },
      { kind: 'dropConnection', count: 1, path: '/server/devices' },
    ]);
    server = await startServe(env);

    // Kill 2, after the restarted process resumed; then the stored cursor ages past 7 days.
    const run2 = await runningPast(server, tokenId, 10, run1);
    await server.stop('SIGKILL');
    await sandbox.portal('POST', '/clock', { advanceSeconds: 8 * DAY_SECONDS });
    server = await startServe(env);

    // Kill 3, in the refetch the expired cursor forced.
    await runningPast(server, tokenId, 5, run2);
    await server.stop('SIGKILL');
    await sandbox.portal('POST', `/mdm-servers/${serverId}/faults`, [
      // The restarted process finishes the refetch (a completed fetch leaves the sync to the next run).
      { kind: 'rateLimit', retryAfterSeconds: 1, count: 1, path: '/server/devices' },
      { kind: 'dropConnection', count: 1, path: '/server/devices' },
      { kind: 'unavailable', retryAfterSeconds: 1, count: 1, path: '/profile/devices' },
    ]);
    server = await startServe(env);

    const done = await synced(server, tokenId, started);
    const truth = await sandboxSerials(sandbox, serverId);
    const ours = await orchardSerials(server, tokenId);
    assert.equal(ours.length, new Set(ours).size, 'no device twice');
    assert.deepEqual(new Set(ours), truth, 'exactly the sandbox’s devices');
    assert.equal(truth.size, 10_000 + 50 - 30);
    assert.ok(more.every((s) => truth.has(s)));
    assert.equal(done['deviceCount'], truth.size);
    assert.equal(done['lastSyncError'], null);
    const removed = (await api(server)('GET', `/devices/summary?abmTokenId=${tokenId}`))['byEnrollmentState'][
      'removed'
    ];
    assert.equal(removed, 30, 'the 30 unassigned while Orchard was down are kept as removed');
    // Every remaining fault was met on the way.
    const pending = (await sandbox.portal('GET', `/mdm-servers/${serverId}/faults`))['rules'] as Array<{
      kind: string;
    }>;
    assert.deepEqual(
      pending.map((r) => r.kind).filter((k) => k !== 'slow'),
      [],
    );
  });
});
