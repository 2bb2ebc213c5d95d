// Shared by the sync benches: processes started as `node --import tsx …` (one process, so its
// pid is the one to measure or kill), the sandbox populated with MDM servers and devices, and
// Orchard's database seeded with connected tokens for them without going through the wizard
// (1,000 uploads would measure RSA key generation, not the sync).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { openOrchard } from '../src/app/orchard.js';
import { generateTokenKeyPair } from '../src/apple/pki.js';
import type { ServerToken } from '../src/apple/server-token.js';
import { decryptServerToken } from '../src/apple/token-file.js';
import { loadConfig } from '../src/config/config.js';
import { DEFAULT_SETTINGS, newEnrollmentKey } from '../src/domain/enrollment-profiles.js';
import { repositoriesOf } from '../src/store/repositories/index.js';
import type { Database } from '../src/store/schema.js';
import { peakRssWithChildrenMb } from './proc-stats.js';
import { ROOT, freePort, json, tempDir } from './support.js';
import { COMMAND_LINE } from '../src/domain/principal.js';

const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');
/** The command as deployed (`npm run build:server`): no TypeScript loader in its memory. */
const BUILT_MAIN = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');

export interface Proc {
  readonly child: ChildProcess;
  readonly url: string;
  /** Peak resident set size so far (VmHWM), in MB. */
  peakRssMb(): number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startProcess(
  args: string[],
  env: Record<string, string>,
  readyPath: string,
  { built = false }: { built?: boolean } = {},
): Promise<Proc> {
  const port = await freePort();
  if (built && !fs.existsSync(BUILT_MAIN)) throw new Error(`${BUILT_MAIN} is missing: npm run build:server`);
  const child = spawn(
    process.execPath,
    [
      // e.g. ORCHARD_BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the server.
      ...(process.env['ORCHARD_BENCH_NODE_ARGS']?.split(' ').filter((a) => a !== '') ?? []),
      ...(built ? [BUILT_MAIN] : ['--import', 'tsx', MAIN]),
      ...args.map((a) => a.replace('{port}', String(port))),
    ],
    {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port) },
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`orchard ${args.join(' ')} exited with ${child.exitCode}`);
    if ((await fetch(`${url}${readyPath}`).catch(() => undefined))?.ok === true) break;
    if (Date.now() > deadline) throw new Error(`orchard ${args.join(' ')} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    url,
    peakRssMb: () => peakRssWithChildrenMb(child.pid ?? 0),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
  };
}

export async function startSandbox(): Promise<
  Proc & { portal: <T>(method: string, route: string, body?: unknown) => Promise<T> }
> {
  const proc = await startProcess(
    ['sandbox', '--port', '{port}', '--data-dir', tempDir('orchard-bench-sandbox-')],
    {},
    '/sandbox/abm/api/terms',
  );
  return {
    ...proc,
    portal: async <T>(method: string, route: string, body?: unknown) =>
      json<T>(
        await fetch(`${proc.url}/sandbox/abm/api${route}`, {
          method,
          ...(body === undefined
            ? {}
            : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
        }),
      ),
  };
}

export interface BenchServer {
  readonly serverId: string;
  readonly serverUuid: string;
  readonly name: string;
  readonly token: ServerToken;
}

/** `servers` MDM servers in the sandbox, each with `devices` devices, and each one's decrypted token. */
export async function populateSandbox(
  sandbox: Awaited<ReturnType<typeof startSandbox>>,
  servers: number,
  devices: number,
): Promise<BenchServer[]> {
  // One key pair for every server: generating 1,000 RSA keys is not what is measured.
  const keyPair = await generateTokenKeyPair({ commonName: 'Sync bench', now: new Date() });
  const out: BenchServer[] = [];
  for (let i = 0; i < servers; i++) {
    const name = `Bench server ${String(i).padStart(4, '0')}`;
    const { id } = await sandbox.portal<{ id: string }>('POST', '/mdm-servers', {
      name,
      publicKeyPem: keyPair.certificatePem,
    });
    for (let made = 0; made < devices; made += 100_000) {
      await sandbox.portal('POST', '/devices', { count: Math.min(100_000, devices - made), mdmServerId: id });
    }
    const file = Buffer.from(
      await (await fetch(`${sandbox.url}/sandbox/abm/api/mdm-servers/${id}/token`)).arrayBuffer(),
    );
    const { token } = decryptServerToken(file, [{ id: 'bench', ...keyPair }], new Date());
    const { serverUuid } = await sandbox.portal<{ serverUuid: string }>('GET', `/mdm-servers/${id}`);
    out.push({ serverId: id, serverUuid, name, token });
  }
  return out;
}

export interface BenchDatabase {
  readonly engine: 'sqlite' | 'postgres';
  readonly env: Record<string, string>;
  drop(): Promise<void>;
}

export async function benchDatabase(engine: 'sqlite' | 'postgres'): Promise<BenchDatabase> {
  const dataDir = tempDir('orchard-bench-data-');
  const env: Record<string, string> = {
    ORCHARD_DATA_DIR: dataDir,
    ORCHARD_MASTER_KEY: randomBytes(32).toString('base64'),
    ORCHARD_BOOTSTRAP_API_KEY: `bench-${randomBytes(24).toString('hex')}`,
    // /metrics in any mode (bench/server-metrics.ts reads the server's CPU and event loop there).
    ORCHARD_METRICS_TOKEN: `bench-metrics-${randomBytes(12).toString('hex')}`,
  };
  if (engine === 'sqlite')
    return { engine, env, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  const base = process.env['ORCHARD_BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `orchard_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  env['DATABASE_URL'] = url.toString();
  return {
    engine,
    env,
    drop: async () => {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Connected tokens for the servers, as an upload would leave them (sealed credentials, the
 * MDM server's identity, a default profile), spread over customers of 10 sites each.
 */
export async function seedTokens(
  database: BenchDatabase,
  depBaseUrl: string,
  servers: readonly BenchServer[],
): Promise<{ tokenIds: string[]; customerIds: string[]; siteIds: string[] }> {
  const orchard = await openOrchard(loadConfig({ ...database.env, ORCHARD_SANDBOX: '0', APPLE_DEP_URL: depBaseUrl }));
  const repos = repositoriesOf(orchard.db.kysely);
  const now = new Date().toISOString();
  const tokenIds: string[] = [];
  const customerIds: string[] = [];
  const siteIds: string[] = [];
  try {
    const keySecret = await orchard.secrets.put('bench.unused_private_key', 'not a key');
    for (const [i, server] of servers.entries()) {
      if (i % 10 === 0)
        customerIds.push(
          (await orchard.customers.create(COMMAND_LINE, `Customer ${String(i / 10).padStart(3, '0')}`)).id,
        );
      const customerId = customerIds.at(-1) ?? '';
      const site = await orchard.customers.createSite(COMMAND_LINE, customerId, `Site ${i % 10}`);
      siteIds.push(site.id);
      const id = `bench-token-${String(i).padStart(4, '0')}`;
      await repos.abmTokens.insert(
        { id, customerId, siteId: site.id, depBaseUrl, now },
        { id: `${id}-key`, certificatePem: 'unused', privateKeySecretId: keySecret, now },
      );
      const credentialsSecretId = await orchard.secrets.put('abm_token.credentials', JSON.stringify(server.token));
      await repos.abmTokens.connect(id, {
        credentialsSecretId,
        server: { name: server.name, uuid: server.serverUuid, orgName: 'Bench Org', orgEmail: null, adminId: null },
        expiresAt: server.token.accessTokenExpiry?.toISOString() ?? null,
        keyId: `${id}-key`,
        now,
      });
      await repos.enrollmentProfiles.ensure(id, newEnrollmentKey(), DEFAULT_SETTINGS, now);
      tokenIds.push(id);
    }
  } finally {
    await orchard.close();
  }
  return { tokenIds, customerIds, siteIds };
}

export function orchardEnv(database: BenchDatabase, sandboxUrl: string, extra: Record<string, string> = {}) {
  return { ...database.env, ORCHARD_SANDBOX: '0', APPLE_DEP_URL: `${sandboxUrl}/sandbox/dep`, ...extra };
}

/** The servers' names and decrypted tokens, for bench/sync-raw-client.ts. */
export function credentialsFile(servers: readonly BenchServer[]): string {
  const file = path.join(tempDir('orchard-bench-creds-'), 'tokens.json');
  fs.writeFileSync(file, JSON.stringify(servers.map((s) => ({ name: s.name, token: s.token }))), { mode: 0o600 });
  return file;
}

const HELD_UNTIL = '2999-01-01T00:00:00.000Z';

/**
 * Keeps the scheduler off these tokens (due in the year 2999) until the bench starts their
 * sync: a server then starts idle, so its CPU and memory can be read before the sync. `again`
 * holds tokens that already have a sync state (after a failed run, before its retry).
 */
export async function holdSyncs(
  db: Kysely<Database>,
  tokenIds: readonly string[],
  { again = false }: { again?: boolean } = {},
): Promise<void> {
  const now = new Date().toISOString();
  if (again) {
    await db
      .updateTable('sync_states')
      .set({ next_run_at: HELD_UNTIL, updated_at: now })
      .where('token_id', 'in', [...tokenIds])
      .execute();
    return;
  }
  for (const tokenId of tokenIds) {
    await db
      .insertInto('sync_states')
      .values({
        token_id: tokenId,
        phase: 'fetch',
        next_run_at: HELD_UNTIL,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }
}

/** Makes the held tokens due now and wakes the server's scheduler with one "Sync now". */
export async function releaseSyncs(
  db: Kysely<Database>,
  serverUrl: string,
  apiKey: string,
  tokenIds: readonly string[],
): Promise<void> {
  const now = new Date().toISOString();
  if (tokenIds.length === 0) return;
  await db
    .updateTable('sync_states')
    .set({ next_run_at: now, requested_at: now })
    .where('token_id', 'in', [...tokenIds])
    .execute();
  await requestSync(serverUrl, apiKey, tokenIds[0] ?? '');
}

/** POST /api/v1/abm-tokens/{id}/sync: the token is due now, and the scheduler looks at once. */
export async function requestSync(serverUrl: string, apiKey: string, tokenId: string): Promise<void> {
  const response = await fetch(`${serverUrl}/api/v1/abm-tokens/${tokenId}/sync`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}` },
  });
  if (response.status !== 202) throw new Error(`sync of ${tokenId}: ${response.status} ${await response.text()}`);
}
