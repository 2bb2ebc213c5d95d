// The API under load: autocannon (50 connections) on GET /api/v1/devices (first page, 50
// rows) and on GET /api/v1/abm-tokens (the token list with device counts), against the built
// `orchard serve` holding one synced token of 100,000 devices — first idle, then while a
// 100,000-device token of its own syncs from the sandbox (its own process). Prints req/s,
// latency p50 / p99, non-2xx answers and the server's largest event-loop delay per run, and
// the largest delay during one such sync with no load at all.
//   npm run build:server
//   npx tsx bench/api-load.ts <sqlite|postgres> [devicesPerToken=100000] [--devices-idle]
//   ORCHARD_PROCESSES=2 npx tsx bench/api-load.ts …   (the server as two processes; RSS is their sum)
// --devices-idle: only the idle run on the devices page (no token list, no run during a sync,
// and no fresh tokens made for those), for a quick look at the API's own cost.
// ORCHARD_BENCH_LOAD_SECONDS: length of each load run (default 30; 5 for a quick check).
// ORCHARD_BENCH_SYNC_TOKENS: fresh tokens kept for the sync alone and the runs during a sync
// (default 7).
// PostgreSQL: ORCHARD_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
//
// During a sync: each run starts a full sync of a fresh token (never synced, so every device
// is stored and assigned, as on day one); when it ends before the run does, the next fresh
// token starts at once. The output says how many seconds of the run had a sync going. The run
// then waits for that sync to finish, so the next run starts with none.
import autocannon from 'autocannon';
import type { Kysely } from 'kysely';
import { loadConfig } from '../src/config/config.js';
import { openDb } from '../src/store/db.js';
import type { Database } from '../src/store/schema.js';
import { watchEventLoopDelay } from './server-metrics.js';
import { commitOf, loadAverage, machine } from './support.js';
import {
  benchDatabase,
  holdSyncs,
  orchardEnv,
  populateSandbox,
  requestSync,
  seedTokens,
  startProcess,
  startSandbox,
} from './sync-support.js';

const devicesIdleOnly = process.argv.includes('--devices-idle');
const [engine = 'sqlite', perTokenArg] = process.argv.slice(2).filter((a) => !a.startsWith('--')) as [
  ('sqlite' | 'postgres')?,
  string?,
];
const perToken = Number(perTokenArg ?? 100_000);
const loadSeconds = Number(process.env['ORCHARD_BENCH_LOAD_SECONDS'] ?? 30);
const freshTokens = devicesIdleOnly ? 0 : Number(process.env['ORCHARD_BENCH_SYNC_TOKENS'] ?? 7);
const connections = 50;
const allTargets = { devices: '/api/v1/devices?limit=50', tokens: '/api/v1/abm-tokens' } as const;
const targets: Partial<typeof allTargets> = devicesIdleOnly ? { devices: allTargets.devices } : allTargets;
const log = (line: string) => process.stderr.write(`[api-load ${engine}] ${line}\n`);
const round = (n: number, digits = 0) => Number(n.toFixed(digits));

/** Waits for a fresh token's first sync to end: null when it succeeded, else the error it recorded. */
async function waitSynced(db: Kysely<Database>, tokenId: string): Promise<string | null> {
  for (;;) {
    const row = await db
      .selectFrom('abm_tokens')
      .innerJoin('sync_states', 'sync_states.token_id', 'abm_tokens.id')
      .select(['last_sync_at', 'last_sync_error', 'lease_owner'])
      .where('id', '=', tokenId)
      .executeTakeFirst();
    // Ended: recorded, and the lease given back (the run's last write, with its next run).
    if (row?.lease_owner === null && row.last_sync_error !== null) return row.last_sync_error;
    if (row?.lease_owner === null && row.last_sync_at !== null) return null;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const sandbox = await startSandbox();
const database = await benchDatabase(engine);
try {
  const servers = await populateSandbox(sandbox, 1 + freshTokens, perToken);
  log(`sandbox ready: ${servers.length} MDM servers of ${perToken} devices`);
  const placed = await seedTokens(database, `${sandbox.url}/sandbox/dep`, servers);
  const [baseToken = '', ...fresh] = placed.tokenIds;
  const db = openDb(loadConfig(orchardEnv(database, sandbox.url)).database);
  await holdSyncs(db.kysely, placed.tokenIds);
  const apiKey = database.env['ORCHARD_BOOTSTRAP_API_KEY'] ?? '';
  const metricsToken = database.env['ORCHARD_METRICS_TOKEN'] ?? '';
  const server = await startProcess(
    ['serve'],
    orchardEnv(database, sandbox.url, { ORCHARD_SYNC_CONCURRENCY: '4', ORCHARD_SYNC_PAGE_SIZE: '1000' }),
    '/healthz',
    { built: true },
  );

  const storedDevices = async () =>
    Number(
      (
        await db.kysely
          .selectFrom('devices')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('removed_at', 'is', null)
          .executeTakeFirst()
      )?.n ?? 0,
    );

  /** One autocannon run on `path`, with the server's largest event-loop delay meanwhile. */
  const load = async (path: string, seconds: number) => {
    const watch = await watchEventLoopDelay(server.url, metricsToken);
    // CLOCK_MONOTONIC µs, the clock of a V8 CPU profile: bench/cpu-profile.ts <file> <fromUs> <toUs>.
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const result = await autocannon({
      url: `${server.url}${path}`,
      connections,
      duration: seconds,
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const toUs = Number(process.hrtime.bigint() / 1000n);
    const maxEventLoopDelayMs = await watch.stop();
    return {
      window: { from: result.start.getTime(), to: result.finish.getTime() },
      profileWindowUs: [fromUs, toUs],
      requestsPerSecond: round(result.requests.average),
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      maxMs: result.latency.max,
      requests: result.requests.total,
      non2xx: result.non2xx,
      statusCodes: Object.fromEntries(
        Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count ?? 0]),
      ),
      // Connection errors, of which timeouts (autocannon gives up on a request after 10 s).
      errors: result.errors,
      timeouts: result.timeouts,
      maxEventLoopDelayMs,
    };
  };

  /**
   * Keeps a full sync of a fresh token going until stopped; stop() waits for the one running
   * and says how many seconds of the load window (autocannon's start and finish, epoch ms)
   * had a sync going, and how long each sync took.
   */
  const keepSyncing = () => {
    const syncs: Array<{ tokenId: string; start: number; end: number; error: string | null }> = [];
    let stopping = false;
    const running = (async () => {
      while (!stopping) {
        const tokenId = fresh.shift();
        if (tokenId === undefined) {
          log('no fresh token left to sync: the rest of the run is without a sync');
          return;
        }
        const start = Date.now();
        await requestSync(server.url, apiKey, tokenId);
        const error = await waitSynced(db.kysely, tokenId);
        // A failed sync is a result; held again, so its retry cannot overlap the next one.
        if (error !== null) await holdSyncs(db.kysely, [tokenId], { again: true });
        syncs.push({ tokenId, start, end: Date.now(), error });
      }
    })();
    running.catch(() => undefined); // surfaces in stop()
    return {
      async stop({ from, to }: { from: number; to: number }) {
        stopping = true;
        await running;
        const overlap = syncs.reduce((sum, s) => sum + Math.max(0, Math.min(s.end, to) - Math.max(s.start, from)), 0);
        return {
          seconds: round((to - from) / 1000, 1),
          secondsWithSync: round(overlap / 1000, 1),
          syncSeconds: syncs.map((s) => round((s.end - s.start) / 1000, 1)),
          syncErrors: syncs.flatMap((s) => (s.error === null ? [] : [s.error])),
        };
      },
    };
  };

  try {
    const loadBefore = loadAverage();
    const t = performance.now();
    await requestSync(server.url, apiKey, baseToken);
    const baseError = await waitSynced(db.kysely, baseToken);
    if (baseError !== null) throw new Error(`the first sync failed: ${baseError}`);
    const baseSyncSeconds = round((performance.now() - t) / 1000, 1);
    log(`base token synced in ${baseSyncSeconds} s`);

    // A short unmeasured run on each path first, so the idle numbers are not JIT warm-up.
    for (const path of Object.values(targets)) await load(path, 3);

    const idle: Record<string, unknown> = {};
    for (const [name, path] of Object.entries(targets)) {
      const { window, ...result } = await load(path, loadSeconds);
      idle[name] = {
        ...result,
        seconds: round((window.to - window.from) / 1000, 1),
        devicesStored: await storedDevices(),
      };
      log(`idle ${name}: ${JSON.stringify(idle[name])}`);
    }

    // The sync alone: one fresh token's full sync with no load but the once-a-second /metrics
    // scrape, which tells the sync's own event-loop stalls from those of 50 connections always
    // waiting (one loop turn then serves every ready request, and the timer measuring the
    // delay waits for all of them).
    let syncAlone: Record<string, unknown> | undefined;
    const aloneToken = devicesIdleOnly ? undefined : fresh.shift();
    if (aloneToken !== undefined) {
      const watch = await watchEventLoopDelay(server.url, metricsToken);
      const start = performance.now();
      await requestSync(server.url, apiKey, aloneToken);
      const syncError = await waitSynced(db.kysely, aloneToken);
      syncAlone = {
        syncSeconds: round((performance.now() - start) / 1000, 1),
        syncError,
        maxEventLoopDelayMs: await watch.stop(),
      };
      log(`sync alone: ${JSON.stringify(syncAlone)}`);
    }

    const duringSync: Record<string, unknown> = {};
    for (const [name, path] of devicesIdleOnly ? [] : Object.entries(targets)) {
      const sync = keepSyncing();
      const { window, ...result } = await load(path, loadSeconds);
      const overlap = await sync.stop(window);
      duringSync[name] = { ...result, ...overlap, devicesStoredAfter: await storedDevices() };
      log(`during sync ${name}: ${JSON.stringify(duringSync[name])}`);
    }

    console.log(
      JSON.stringify(
        {
          benchmark: 'api-load',
          commit: commitOf(),
          machine: machine(),
          loadAverage: { before: loadBefore, after: loadAverage() },
          engine,
          devicesPerToken: perToken,
          tokensListed: placed.tokenIds.length,
          connections,
          // ORCHARD_PROCESSES in the environment reaches the server (README, Production deployment).
          serverProcesses: Number(process.env['ORCHARD_PROCESSES'] ?? 1),
          secondsPerRun: loadSeconds,
          baseSyncSeconds,
          idle,
          syncAlone,
          duringSync,
          serverPeakRssMb: server.peakRssMb(),
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
