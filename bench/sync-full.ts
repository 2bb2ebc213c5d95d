// Where the device sync's limit is: a raw client making the same Apple calls as a full sync
// and discarding the results (bench/sync-raw-client.ts, its own process), then `orchard serve`
// syncing every token from nothing — fetch, store, define the profile, assign it to every
// device — from the same sandbox (its own process, over real HTTP). Prints both rates, their
// ratio, the server's CPU per synced device and its peak RSS. Usage:
//   npx tsx bench/sync-full.ts <sqlite|postgres> <tokens> <devicesPerToken> [--api]
//   e.g. … sqlite 1 100000        … postgres 1000 1000
// --api then measures the devices API on the synced data (bench/devices-list.ts).
// PostgreSQL: ORCHARD_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
//
// The server is the built command (npm run build:server first), as deployed: under tsx its
// RSS would include the TypeScript loader. It starts with every token held (bench/sync-support.ts holdSyncs), so its CPU is
// read from /metrics (prom-client: process.cpuUsage() of the server process, every thread)
// while idle just before the sync is released, and again when the last token is done.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { sql } from 'kysely';
import { openDb } from '../src/store/db.js';
import { loadConfig } from '../src/config/config.js';
import { measureDeviceApi } from './devices-list.js';
import { processCpuMs } from './proc-stats.js';
import { serverCpuSeconds } from './server-metrics.js';
import { ROOT, commitOf, loadAverage, machine } from './support.js';
import {
  benchDatabase,
  credentialsFile,
  holdSyncs,
  orchardEnv,
  populateSandbox,
  releaseSyncs,
  seedTokens,
  startProcess,
  startSandbox,
} from './sync-support.js';

const engine = (process.argv[2] ?? 'sqlite') as 'sqlite' | 'postgres';
const tokens = Number(process.argv[3] ?? 1);
const perToken = Number(process.argv[4] ?? 100_000);
const withApi = process.argv.includes('--api');
const concurrency = 4;
const pageSize = 1000;
const total = tokens * perToken;
const log = (line: string) => process.stderr.write(`[sync-full ${engine} ${tokens}×${perToken}] ${line}\n`);

const sandbox = await startSandbox();
const database = await benchDatabase(engine);
try {
  let t = performance.now();
  const servers = await populateSandbox(sandbox, tokens, perToken);
  const sandboxSetupSeconds = (performance.now() - t) / 1000;
  log(`sandbox ready in ${sandboxSetupSeconds.toFixed(1)} s`);
  const depBaseUrl = `${sandbox.url}/sandbox/dep`;
  const placed = await seedTokens(database, depBaseUrl, servers);
  log('tokens seeded');

  // The raw client: the same Apple calls, results discarded.
  const loadBefore = loadAverage();
  const rawRun = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'bench', 'sync-raw-client.ts'),
      credentialsFile(servers),
      depBaseUrl,
      String(concurrency),
      String(pageSize),
    ],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  if (rawRun.status !== 0) throw new Error(`raw client failed: ${rawRun.stderr}`);
  const raw = JSON.parse(rawRun.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, number>;
  if (raw['devices'] !== total || raw['assigned'] !== total) throw new Error(`raw client: ${JSON.stringify(raw)}`);
  log(`raw client ${JSON.stringify(raw)}`);

  // The sync, by a real `orchard serve`, started idle and then released.
  const db = openDb(loadConfig(orchardEnv(database, sandbox.url)).database);
  await holdSyncs(db.kysely, placed.tokenIds);
  const apiKey = database.env['ORCHARD_BOOTSTRAP_API_KEY'] ?? '';
  const metricsToken = database.env['ORCHARD_METRICS_TOKEN'] ?? '';
  const server = await startProcess(
    ['serve'],
    orchardEnv(database, sandbox.url, {
      ORCHARD_SYNC_CONCURRENCY: String(concurrency),
      ORCHARD_SYNC_PAGE_SIZE: String(pageSize),
    }),
    '/healthz',
    { built: true },
  );
  await new Promise((r) => setTimeout(r, 1000));
  const idleRssMb = server.peakRssMb();
  const cpuBefore = await serverCpuSeconds(server.url, metricsToken);
  const procCpuBefore = processCpuMs(server.child.pid ?? 0);
  t = performance.now();
  await releaseSyncs(db.kysely, server.url, apiKey, placed.tokenIds);
  let pulledSeconds: number | null = null;
  let progressAt = 0;
  try {
    for (;;) {
      const row = (
        await sql<{ received: number | string; done: number | string }>`
          select coalesce(sum(s.devices), 0) as received,
                 (select count(*) from abm_tokens where last_sync_at is not null) as done
          from sync_states s`.execute(db.kysely)
      ).rows[0];
      const received = Number(row?.received ?? 0);
      const done = Number(row?.done ?? 0);
      if (pulledSeconds === null && received >= total) pulledSeconds = (performance.now() - t) / 1000;
      if (done >= tokens) break;
      if (performance.now() - progressAt > 10_000) {
        progressAt = performance.now();
        log(
          `${received} devices received, ${done}/${tokens} tokens done, ${((performance.now() - t) / 1000).toFixed(0)} s`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const seconds = (performance.now() - t) / 1000;
    const cpuSeconds = (await serverCpuSeconds(server.url, metricsToken)) - cpuBefore;
    const procCpuMs = processCpuMs(server.child.pid ?? 0) - procCpuBefore;
    const serverPeakRssMb = server.peakRssMb();
    const check = (
      await sql<{ current: number | string; assigned: number | string }>`
        select count(*) as current,
               sum(case when profile_assign_status = 'assigned' then 1 else 0 end) as assigned
        from devices where removed_at is null`.execute(db.kysely)
    ).rows[0];
    const errors = (
      await sql<{ n: number | string }>`select count(*) as n from abm_tokens where last_sync_error is not null`.execute(
        db.kysely,
      )
    ).rows[0];
    if (Number(check?.current) !== total || Number(check?.assigned) !== total) {
      throw new Error(`expected ${total} current and assigned devices, got ${JSON.stringify(check)}`);
    }
    const api = withApi
      ? await measureDeviceApi(server.url, apiKey, {
          ...placed,
          serials: (
            await db.kysely
              .selectFrom('devices')
              .select('serial_number')
              .orderBy(sql`random()`)
              .limit(2000)
              .execute()
          ).map((r) => r.serial_number),
        })
      : undefined;
    const rate = total / seconds;
    console.log(
      JSON.stringify(
        {
          benchmark: 'sync-full',
          commit: commitOf(),
          machine: machine(),
          loadAverage: { before: loadBefore, after: loadAverage() },
          engine,
          tokens,
          devicesPerToken: perToken,
          devices: total,
          concurrency,
          pageSize,
          raw: {
            seconds: raw['seconds'],
            devicesPerSecond: raw['devicesPerSecond'],
            cpuMicrosPerDevice: raw['cpuMicrosPerDevice'],
            peakRssMb: raw['peakRssMb'],
          },
          orchard: {
            seconds: Number(seconds.toFixed(1)),
            devicesPerSecond: Math.round(rate),
            pulledSeconds: pulledSeconds === null ? null : Number(pulledSeconds.toFixed(1)),
            serverCpuMicrosPerDevice: Math.round((cpuSeconds * 1e6) / total),
            // The same from /proc/<pid>/stat (10 ms ticks), as a check on the metric.
            serverCpuMicrosPerDeviceProcStat: Math.round((procCpuMs * 1000) / total),
            serverCores: Number((cpuSeconds / seconds).toFixed(2)),
            serverPeakRssMb,
            serverRssIdleMb: idleRssMb,
            tokensWithErrors: Number(errors?.n ?? 0),
          },
          ratio: Number((rate / (raw['devicesPerSecond'] ?? Number.NaN)).toFixed(2)),
          sandboxSetupSeconds: Number(sandboxSetupSeconds.toFixed(1)),
          ...(api === undefined ? {} : { api }),
        },
        null,
        2,
      ),
    );
  } finally {
    await server.stop();
    await db.close();
  }
} finally {
  await sandbox.stop();
  await database.drop();
}
