// Latency of the devices API at scale: GET /api/v1/devices with each filter, deep keyset
// pages, serial prefix search, one device, the summary, and the token list with its device
// counts, against a running `orchard serve`. bench/sync-full.ts calls measureDeviceApi()
// after a 1,000,000-device sync; run alone it seeds the devices straight into the database:
//   npx tsx bench/devices-list.ts [sqlite|postgres] [devices=1000000]
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { openOrchard } from '../src/app/orchard.js';
import { loadConfig } from '../src/config/config.js';
import { encodeCursor } from '../src/store/paging.js';
import type { Device } from '../src/apple/dep/index.js';
import { repositoriesOf } from '../src/store/repositories/index.js';
import { machine, percentile } from './support.js';
import { benchDatabase, seedTokens, startProcess, type BenchServer } from './sync-support.js';

export interface ApiScope {
  readonly customerIds: readonly string[];
  readonly siteIds: readonly string[];
  readonly tokenIds: readonly string[];
  /** Serials known to exist, for single-device reads and deep pages. */
  readonly serials: readonly string[];
}

export async function measureDeviceApi(url: string, apiKey: string, scope: ApiScope, requests = 200) {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)] as T;
  const get = async (path: string): Promise<number> => {
    const start = performance.now();
    const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
    const body = await response.text();
    if (!response.ok) throw new Error(`${path}: ${response.status} ${body.slice(0, 200)}`);
    return performance.now() - start;
  };
  const cases: Record<string, () => string> = {
    'devices, first page': () => '/api/v1/devices?limit=50',
    'devices, deep keyset page': () => `/api/v1/devices?limit=50&cursor=${encodeCursor([pick(scope.serials)])}`,
    'devices by customer': () => `/api/v1/devices?limit=50&customerId=${pick(scope.customerIds)}`,
    'devices by site': () => `/api/v1/devices?limit=50&siteId=${pick(scope.siteIds)}`,
    'devices by token, deep page': () =>
      `/api/v1/devices?limit=50&abmTokenId=${pick(scope.tokenIds)}&cursor=${encodeCursor([pick(scope.serials)])}`,
    'devices by customer and profile status': () =>
      `/api/v1/devices?limit=50&customerId=${pick(scope.customerIds)}&profileStatus=assigned`,
    'devices by enrollment state (none match)': () => '/api/v1/devices?limit=50&enrollmentState=enrolled',
    'devices by a common profile status (99.5 %)': () => '/api/v1/devices?limit=50&profileStatus=assigned',
    'devices by a rare profile status (0.5 %)': () => '/api/v1/devices?limit=50&profileStatus=pushed',
    'devices by serial prefix': () => `/api/v1/devices?limit=50&q=${pick(scope.serials).slice(0, 3).toLowerCase()}`,
    'one device': () => `/api/v1/devices/${pick(scope.serials)}`,
    'summary of a customer': () => `/api/v1/devices/summary?customerId=${pick(scope.customerIds)}`,
  };
  const results: Record<string, { p50Ms: number; p95Ms: number; requests: number }> = {};
  const measure = async (name: string, path: () => string, n: number) => {
    for (let i = 0; i < 5; i++) await get(path()); // warm-up
    const times: number[] = [];
    for (let i = 0; i < n; i++) times.push(await get(path()));
    times.sort((a, b) => a - b);
    results[name] = { p50Ms: round(percentile(times, 50)), p95Ms: round(percentile(times, 95)), requests: n };
  };
  for (const [name, path] of Object.entries(cases)) await measure(name, path, requests);
  // Whole-fleet aggregates: fewer requests, they are the slow ones.
  await measure('summary of everything', () => '/api/v1/devices/summary', 20);
  await measure(
    `token list, first page of 50 (of ${scope.tokenIds.length} tokens, with device counts)`,
    () => '/api/v1/abm-tokens?limit=50',
    20,
  );
  return results;
}

function round(ms: number): number {
  return Number(ms.toFixed(1));
}

// Standalone: seed devices directly, then measure.
if (import.meta.url === `file://${process.argv[1]}`) {
  const engine = (process.argv[2] ?? 'sqlite') as 'sqlite' | 'postgres';
  const total = Number(process.argv[3] ?? 1_000_000);
  const tokens = 1000;
  const database = await benchDatabase(engine);
  try {
    const fake: BenchServer[] = Array.from({ length: tokens }, (_, i) => ({
      serverId: `s${i}`,
      serverUuid: `uuid-${i}`,
      name: `Server ${i}`,
      token: {
        consumerKey: 'CK',
        consumerSecret: 'CS',
        accessToken: 'AT',
        accessSecret: 'AS',
        accessTokenExpiry: null,
      },
    }));
    const placed = await seedTokens(database, 'http://127.0.0.1:9/unused', fake);
    const orchard = await openOrchard(loadConfig({ ...database.env, ORCHARD_SANDBOX: '0' }));
    const repos = repositoriesOf(orchard.db.kysely);
    const serials: string[] = [];
    const seedStart = performance.now();
    const now = new Date().toISOString();
    const perToken = Math.ceil(total / tokens);
    for (const [t, tokenId] of placed.tokenIds.entries()) {
      const token = await repos.abmTokens.findById(tokenId);
      if (token === undefined) throw new Error('token missing');
      const rows: Device[] = [];
      for (let i = 0; i < perToken; i++) {
        const serialNumber = randomBytes(6).toString('hex').toUpperCase();
        if (i === 0) serials.push(serialNumber);
        rows.push({
          serialNumber,
          model: 'iPhone 15',
          description: 'IPHONE 15 128GB',
          color: 'BLACK',
          assetTag: null,
          os: 'iOS',
          deviceFamily: 'iPhone',
          // One in 200 already pushed: the rare status the list must still find quickly.
          profileStatus: i % 200 === 199 ? 'pushed' : 'assigned',
          profileUuid: 'P',
          profileAssignTime: now,
          profilePushTime: null,
          deviceAssignedDate: now,
          deviceAssignedBy: 'bench@example.com',
          opDate: null,
          opType: null,
          mdmMigrationDeadline: null,
        });
      }
      const target = {
        tokenId,
        customerId: token.customerId,
        siteId: token.siteId,
        profileUuid: 'P',
        fetchRun: 'seed',
        now,
      };
      await orchard.db.kysely
        .transaction()
        .execute(async (tx) => repositoriesOf(tx).deviceWrites.applyPage(target, rows));
      // Keep the scheduler from trying to sync these made-up tokens while we measure.
      await orchard.db.kysely
        .insertInto('sync_states')
        .values({
          token_id: tokenId,
          phase: 'sync',
          next_run_at: '2999-01-01T00:00:00.000Z',
          created_at: now,
          updated_at: now,
        })
        .execute();
      if (t % 100 === 99) process.stderr.write(`seeded ${(t + 1) * perToken} devices\n`);
    }
    const seedSeconds = (performance.now() - seedStart) / 1000;
    // What autovacuum does within a minute of a load this size; the plans of the scoped state
    // tabs rest on these statistics (migration 0008). SQLite keeps none Orchard relies on.
    if (engine === 'postgres') await sql`analyze`.execute(orchard.db.kysely);
    await orchard.close();
    const server = await startProcess(['serve'], { ...database.env, ORCHARD_SANDBOX: '0' }, '/healthz');
    try {
      const results = await measureDeviceApi(server.url, database.env['ORCHARD_BOOTSTRAP_API_KEY'] ?? '', {
        ...placed,
        serials,
      });
      console.log(
        JSON.stringify(
          {
            benchmark: 'devices-list',
            machine: machine(),
            engine,
            devices: perToken * tokens,
            seedSeconds: Number(seedSeconds.toFixed(1)),
            serverPeakRssMb: server.peakRssMb(),
            results,
          },
          null,
          2,
        ),
      );
    } finally {
      await server.stop();
    }
  } finally {
    await database.drop();
  }
}
