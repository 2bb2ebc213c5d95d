// The fault scenario of the device sync at full size: `orchard serve` syncs a token's devices
// from the Apple sandbox (its own process) through 429s, 503s, dropped connections, an
// expired session and an expired cursor, and is killed with SIGKILL three times mid-sync;
// the final device set must equal the sandbox's exactly. With `postgres`, two processes share
// one PostgreSQL and the one holding the token's lease is killed instead (also three times,
// each time restarted, the survivor taking over). Usage:
//   npx tsx bench/sync-kill.ts <sqlite|postgres> [devices=100000] [pageSize=1000]
// test/sync/kill-*.test.ts run the same scenario at 10,000 / 5,000 devices in CI.
import { sql } from 'kysely';
import { loadConfig } from '../src/config/config.js';
import { openDb } from '../src/store/db.js';
import { machine } from './support.js';
import { benchDatabase, orchardEnv, startProcess, startSandbox, type Proc } from './sync-support.js';

const engine = (process.argv[2] ?? 'sqlite') as 'sqlite' | 'postgres';
const devices = Number(process.argv[3] ?? 100_000);
const pageSize = Number(process.argv[4] ?? 1000);
const DAY = 24 * 3600;
const log = (line: string) => process.stderr.write(`[sync-kill ${engine} ${devices}] ${line}\n`);

const sandbox = await startSandbox();
const database = await benchDatabase(engine);
const env = orchardEnv(database, sandbox.url, {
  ORCHARD_SYNC_PAGE_SIZE: String(pageSize),
  ORCHARD_SYNC_LEASE_SECONDS: '3',
});
const apiKey = database.env['ORCHARD_BOOTSTRAP_API_KEY'] ?? '';
const processes: Proc[] = [];
const db = openDb(loadConfig(env).database);

async function api<T = Record<string, any>>(
  proc: Proc,
  method: string,
  route: string,
  body?: unknown,
  type = 'application/json',
) {
  const response = await fetch(`${proc.url}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': type }) },
    ...(body === undefined ? {} : { body: Buffer.isBuffer(body) ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return (text === '' ? {} : JSON.parse(text)) as T;
}

async function serve(): Promise<Proc> {
  const proc = await startProcess(['serve'], env, '/healthz');
  processes.push(proc);
  return proc;
}

/** The pid holding the token's lease, and how far its run has come. */
async function lease(tokenId: string) {
  const row = await db.kysely
    .selectFrom('sync_states')
    .select(['lease_owner', 'lease_until', 'pages', 'run_started_at'])
    .where('token_id', '=', tokenId)
    .executeTakeFirst();
  const live = row?.lease_owner != null && (row.lease_until ?? '') > new Date().toISOString();
  return {
    pid: live ? Number(row?.lease_owner?.split(':')[1]) : null,
    pages: Number(row?.pages ?? 0),
    run: row?.run_started_at ?? null,
  };
}

async function killMidSync(tokenId: string, afterPages: number, previousRun: string | null): Promise<string | null> {
  for (;;) {
    const now = await lease(tokenId);
    const victim = processes.find((p) => p.child.pid === now.pid && p.child.exitCode === null);
    if (victim !== undefined && now.pages >= afterPages && now.run !== previousRun) {
      await victim.stop('SIGKILL');
      processes.splice(processes.indexOf(victim), 1);
      log(`killed pid ${now.pid} after ${now.pages} pages`);
      return now.run;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

try {
  const first = await serve();
  if (engine === 'postgres') await serve();
  const customer = await api(first, 'POST', '/customers', { name: 'Kill Bench Co' });
  const site = await api(first, 'POST', `/customers/${customer['id']}/sites`, { name: 'Main' });
  const token = await api(first, 'POST', '/abm-tokens', { customerId: customer['id'], siteId: site['id'] });
  const tokenId = token['id'] as string;
  const publicKeyPem = await (
    await fetch(`${first.url}/api/v1/abm-tokens/${tokenId}/public-key`, {
      headers: { authorization: `Bearer ${apiKey}` },
    })
  ).text();
  const { id: serverId } = await sandbox.portal<{ id: string }>('POST', '/mdm-servers', {
    name: 'Kill bench',
    publicKeyPem,
  });
  for (let made = 0; made < devices; made += 100_000) {
    await sandbox.portal('POST', '/devices', { count: Math.min(100_000, devices - made), mdmServerId: serverId });
  }
  const faults = (extra: unknown[]) =>
    sandbox.portal('POST', `/mdm-servers/${serverId}/faults`, [
      { kind: 'slow', delayMs: 10, path: '/server/devices' },
      ...extra,
    ]);
  await faults([
    { kind: 'rateLimit', retryAfterSeconds: 1, count: 1, path: '/server/devices' },
    { kind: 'unavailable', retryAfterSeconds: 1, count: 1, path: '/server/devices' },
    { kind: 'dropConnection', count: 1, path: '/server/devices' },
  ]);
  const file = Buffer.from(
    await (await fetch(`${sandbox.url}/sandbox/abm/api/mdm-servers/${serverId}/token`)).arrayBuffer(),
  );
  const start = performance.now();
  await api(first, 'PUT', `/abm-tokens/${tokenId}/token`, file, 'application/octet-stream');

  const pagesPerRun = Math.ceil(devices / pageSize);
  let run = await killMidSync(tokenId, Math.floor(pagesPerRun * 0.2), null);
  await faults([{ kind: 'expireSessions' }, { kind: 'dropConnection', count: 1, path: '/server/devices' }]);
  await serve();
  run = await killMidSync(tokenId, Math.floor(pagesPerRun * 0.2), run);
  await sandbox.portal('POST', '/clock', { advanceSeconds: 8 * DAY }); // the stored cursor expires
  await serve();
  await killMidSync(tokenId, Math.floor(pagesPerRun * 0.1), run);
  await faults([
    { kind: 'rateLimit', retryAfterSeconds: 1, count: 1, path: '/devices/sync' },
    { kind: 'dropConnection', count: 1, path: '/devices/sync' },
  ]);
  const survivor = processes[0] ?? (await serve());

  for (;;) {
    const t = await api(survivor, 'GET', `/abm-tokens/${tokenId}`);
    if (t['lastSyncAt'] !== null && t['sync']['state'] === 'idle') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const seconds = (performance.now() - start) / 1000;

  const truth = new Set<string>();
  let after = '';
  for (;;) {
    const page = await sandbox.portal<{ items: Array<{ serialNumber: string }>; nextCursor: string | null }>(
      'GET',
      `/devices?serverId=${serverId}&limit=1000&after=${after}`,
    );
    for (const d of page.items) truth.add(d.serialNumber);
    if (page.nextCursor === null) break;
    after = page.nextCursor;
  }
  const ours = (
    await db.kysely
      .selectFrom('devices')
      .select('serial_number')
      .where('abm_token_id', '=', tokenId)
      .where('removed_at', 'is', null)
      .execute()
  ).map((r) => r.serial_number);
  const stored = new Set(ours);
  const missing = [...truth].filter((s) => !stored.has(s)).length;
  const extra = ours.filter((s) => !truth.has(s)).length;
  const assigned = Number(
    (
      await sql<{
        n: number | string;
      }>`select count(*) as n from devices where abm_token_id = ${tokenId} and removed_at is null and profile_assign_status = 'assigned'`.execute(
        db.kysely,
      )
    ).rows[0]?.n ?? 0,
  );
  console.log(
    JSON.stringify(
      {
        benchmark: 'sync-kill',
        machine: machine(),
        engine,
        devices,
        pageSize,
        kills: 3,
        processes: engine === 'postgres' ? 2 : 1,
        seconds: Number(seconds.toFixed(1)),
        sandboxDevices: truth.size,
        orchardDevices: ours.length,
        missing,
        extra,
        duplicates: ours.length - stored.size,
        profileAssigned: assigned,
        exact: missing === 0 && extra === 0 && ours.length === truth.size,
      },
      null,
      2,
    ),
  );
  if (missing !== 0 || extra !== 0) process.exitCode = 1;
} finally {
  for (const p of processes) await p.stop('SIGKILL');
  await db.close();
  await sandbox.stop();
  await database.drop();
}
