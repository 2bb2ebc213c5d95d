import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import type { Server } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/orchard.js';
import { postgresSkipReason, postgresUrl } from '../helpers/services.js';
import {
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

// Two `orchard serve` processes on one PostgreSQL syncing from the Apple sandbox; the one
// holding the token's lease is killed with SIGKILL mid-sync. The other takes the token over
// once the lease expires and ends with exactly the sandbox's device set.
describe('device sync survives SIGKILL with two processes on PostgreSQL', { skip: await postgresSkipReason() }, () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  test('PostgreSQL: two processes, the one holding the lease killed; the other takes over and ends exactly as the sandbox', async () => {
    const sandboxDir = temp('orchard-kill-sandbox-');
    const sandbox = await startSandboxProcess(sandboxDir);
    const database = await createTestDatabase('postgres');
    cleanups.push(async () => {
      await sandbox.stop();
      await database.drop();
      fs.rmSync(sandboxDir, { recursive: true, force: true });
    });
    const env = {
      ...orchardEnv(sandbox, database.dataDir, { ORCHARD_SYNC_PAGE_SIZE: '100', ORCHARD_SYNC_LEASE_SECONDS: '2' }),
      DATABASE_URL: database.env['DATABASE_URL'] ?? '',
      ORCHARD_MASTER_KEY: database.env['ORCHARD_MASTER_KEY'] ?? '',
    };
    const servers = [await startServe(env), await startServe(env)];
    cleanups.push(async () => {
      for (const s of servers) await s.stop('SIGKILL');
    });
    const started = new Date().toISOString();
    const { tokenId, serverId } = await connectedToken(servers[0] as Server, sandbox, 5_000, [
      { kind: 'slow', delayMs: 15, path: '/server/devices' },
      { kind: 'dropConnection', count: 1, path: '/server/devices' },
    ]);
    await runningPast(servers[0] as Server, tokenId, 10);

    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    const owner = (
      await client.query(`select lease_owner from ${database.schema}.sync_states where token_id = $1`, [tokenId])
    ).rows[0]?.['lease_owner'] as string;
    await client.end();
    const pid = Number(owner.split(':')[1]);
    const holder = servers.findIndex((s) => s.child.pid === pid);
    assert.notEqual(holder, -1, `the lease (${owner}) belongs to one of the two`);
    await (servers[holder] as Server).stop('SIGKILL');
    const survivor = servers[1 - holder] as Server;

    const done = await synced(survivor, tokenId, started);
    const truth = await sandboxSerials(sandbox, serverId);
    const ours = await orchardSerials(survivor, tokenId);
    assert.equal(ours.length, new Set(ours).size);
    assert.deepEqual(new Set(ours), truth);
    assert.equal(done['deviceCount'], 5_000);
  });
});
