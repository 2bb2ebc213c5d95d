// Real processes for crash tests: the Apple sandbox on its own (`orchard sandbox`, its own
// data dir, so it outlives every Orchard kill) and `orchard serve` pointed at it by URL.
// Both run as `node dist/src/cli/main.js …` (the built command), one process each, so a
// SIGKILL reaches the server itself and not a launcher in front of it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ORCHARD_MAIN, ROOT, collect, freePort, type Server } from '../helpers/cli.js';
import { TEST_API_KEY } from '../helpers/orchard.js';

const NODE_ARGS = [ORCHARD_MAIN];

export interface SandboxProcess {
  readonly url: string;
  readonly child: ChildProcess;
  portal(method: string, url: string, body?: unknown): Promise<Record<string, any>>;
  stop(): Promise<void>;
}

export async function startSandboxProcess(dataDir: string): Promise<SandboxProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...NODE_ARGS, 'sandbox', '--port', String(port), '--data-dir', dataDir], {
    env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'warn' },
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${url}/sandbox/abm/api/terms`).catch(() => undefined))?.ok === true, 30_000);
  return {
    url,
    child,
    portal: async (method, route, body) => {
      const response = await fetch(`${url}/sandbox/abm/api${route}`, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      const text = await response.text();
      assert.ok(response.ok, `${method} ${route}: ${response.status} ${text}`);
      return text === '' ? {} : (JSON.parse(text) as Record<string, any>);
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The environment of an Orchard that talks to `sandbox` as if it were Apple. */
export function orchardEnv(sandbox: SandboxProcess, dataDir: string, extra: Record<string, string> = {}) {
  return {
    ORCHARD_DATA_DIR: dataDir,
    ORCHARD_MASTER_KEY: randomBytes(32).toString('base64'),
    ORCHARD_BOOTSTRAP_API_KEY: TEST_API_KEY,
    ORCHARD_SANDBOX: '0',
    APPLE_DEP_URL: `${sandbox.url}/sandbox/dep`,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** `orchard serve`, resolved once it answers /healthz. */
export async function startServe(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [...NODE_ARGS, 'serve'], {
    env: { PATH: process.env['PATH'] ?? '', ...env, PORT: String(port) },
    cwd: ROOT,
  });
  const done = collect(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`orchard serve exited early:\n${out}`);
        return (await fetch(`${url}/healthz`).catch(() => undefined))?.ok === true;
      },
      30_000,
      'orchard serve to answer /healthz',
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    child,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return done;
      child.kill(signal);
      return done;
    },
  };
}

export function api(server: Server) {
  return async (method: string, route: string, body?: unknown, contentType = 'application/json') => {
    const response = await fetch(`${server.url}/api/v1${route}`, {
      method,
      headers: {
        authorization: `Bearer ${TEST_API_KEY}`,
        ...(body === undefined ? {} : { 'content-type': contentType }),
      },
      ...(body === undefined ? {} : { body: Buffer.isBuffer(body) ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    assert.ok(response.ok, `${method} ${route}: ${response.status} ${text}`);
    return text === '' ? {} : (JSON.parse(text) as Record<string, any>);
  };
}

export async function until<T>(
  check: () => Promise<T | false | undefined>,
  timeoutMs: number,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== false && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every serial the sandbox has assigned to the server: the truth a sync must end with. */
export async function sandboxSerials(sandbox: SandboxProcess, serverId: string): Promise<Set<string>> {
  const out = new Set<string>();
  let after = '';
  for (;;) {
    const page = await sandbox.portal('GET', `/devices?serverId=${serverId}&limit=1000&after=${after}`);
    for (const d of page['items'] as Array<{ serialNumber: string }>) out.add(d.serialNumber);
    if (page['nextCursor'] === null) return out;
    after = page['nextCursor'] as string;
  }
}

/** Every serial Orchard holds as a current device of the token, through the API. */
export async function orchardSerials(server: Server, tokenId: string): Promise<string[]> {
  const call = api(server);
  const out: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await call(
      'GET',
      `/devices?abmTokenId=${tokenId}&enrollmentState=awaiting_enrollment&limit=500${cursor === undefined ? '' : `&cursor=${cursor}`}`,
    );
    out.push(...(page['items'] as Array<{ serialNumber: string }>).map((d) => d.serialNumber));
    cursor = page['nextCursor'] as string | undefined;
  } while (cursor !== undefined);
  return out;
}

export const DAY_SECONDS = 24 * 3600;
export const temp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** A customer, site and token in Orchard, its MDM server in the sandbox with `devices`, the token file uploaded. */
export async function connectedToken(server: Server, sandbox: SandboxProcess, devices: number, faults: unknown[]) {
  const call = api(server);
  const customer = await call('POST', '/customers', { name: 'Crash Test Co' });
  const site = await call('POST', `/customers/${customer['id']}/sites`, { name: 'Main' });
  const token = await call('POST', '/abm-tokens', { customerId: customer['id'], siteId: site['id'] });
  const publicKeyPem = await (
    await fetch(`${server.url}/api/v1/abm-tokens/${token['id']}/public-key`, {
      headers: { authorization: `Bearer ${TEST_API_KEY}` },
    })
  ).text();
  const mdm = await sandbox.portal('POST', '/mdm-servers', { name: `Crash ${token['id']}`, publicKeyPem });
  for (let made = 0; made < devices; made += 100_000) {
    await sandbox.portal('POST', '/devices', { count: Math.min(100_000, devices - made), mdmServerId: mdm['id'] });
  }
  await sandbox.portal('POST', `/mdm-servers/${mdm['id']}/faults`, faults);
  const file = Buffer.from(
    await (await fetch(`${sandbox.url}/sandbox/abm/api/mdm-servers/${mdm['id']}/token`)).arrayBuffer(),
  );
  await call('PUT', `/abm-tokens/${token['id']}/token`, file, 'application/octet-stream');
  return { tokenId: token['id'] as string, serverId: mdm['id'] as string };
}

export async function tokenJson(server: Server, tokenId: string) {
  return api(server)('GET', `/abm-tokens/${tokenId}`);
}

/**
 * Waits until a sync of the token is running with at least `pages` pages done in this run —
 * a run other than `previous` (a killed process's lease looks "running" until it expires).
 */
export async function runningPast(
  server: Server,
  tokenId: string,
  pages: number,
  previous: string | null = null,
  timeoutMs = 60_000,
): Promise<string> {
  return until(
    async () => {
      const t = await tokenJson(server, tokenId).catch(() => undefined);
      const sync = t?.['sync'];
      return sync !== undefined &&
        sync['state'] === 'running' &&
        sync['pages'] >= pages &&
        sync['startedAt'] !== previous
        ? (sync['startedAt'] as string)
        : undefined;
    },
    timeoutMs,
    `${pages} pages of a running sync`,
  );
}

/** Waits for a finished, successful sync of the token. */
export async function synced(server: Server, tokenId: string, since: string, timeoutMs = 90_000) {
  return until(
    async () => {
      const t = await tokenJson(server, tokenId).catch(() => undefined);
      return t !== undefined && t['sync']['state'] === 'idle' && t['lastSyncAt'] !== null && t['lastSyncAt'] > since
        ? t
        : undefined;
    },
    timeoutMs,
    'a completed sync',
  );
}
