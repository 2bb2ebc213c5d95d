// Test helpers for the Apple sandbox: a sandbox app on a temp data dir with a manual clock, a
// minimal DEP client that signs OAuth with Orchard's own oauth1 code (as the product will),
// and a way to get real credentials: upload a certificate, download the token, decrypt it.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildAuthorizationHeader } from '../../src/apple/oauth1.js';
import type { TokenKeyPair } from '../../src/apple/pki.js';
import { decryptServerToken, type ServerToken } from '../../src/apple/token-file.js';
import { sandboxPlugin } from '../../src/sandbox/index.js';
import { appleFixture } from '../apple/support/tokens.js';

export const PUBLIC_URL = 'http://localhost:8080';
export const USER_AGENT = 'orchard-tests/1.0';

/** A clock tests move by hand. */
export class TestClock {
  current = new Date('2026-06-01T12:00:00.000Z');
  readonly now = (): Date => new Date(this.current);
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface Sandbox {
  readonly app: FastifyInstance;
  readonly dataDir: string;
  readonly clock: TestClock;
  /** Base URL for DEP calls: PUBLIC_URL for inject, the listening address otherwise. */
  readonly baseUrl: string;
  close(): Promise<void>;
  /** close() and delete the data dir. */
  destroy(): Promise<void>;
}

export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-sandbox-'));
}

export async function startSandbox(
  options: { dataDir?: string; clock?: TestClock; listen?: boolean } = {},
): Promise<Sandbox> {
  const dataDir = options.dataDir ?? tempDataDir();
  const clock = options.clock ?? new TestClock();
  const app = Fastify({ logger: false });
  // Like the host app: no text/plain parser outside the sandbox's scope.
  app.removeContentTypeParser('text/plain');
  await app.register(sandboxPlugin, { prefix: '/sandbox', dataDir, clock: clock.now, publicUrl: PUBLIC_URL });
  let baseUrl = PUBLIC_URL;
  if (options.listen === true) {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = address;
  } else {
    await app.ready();
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
  };
  return {
    app,
    dataDir,
    clock,
    baseUrl,
    close,
    destroy: async () => {
      await close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The key pair uploaded to ABM for the real Apple-issued fixture token: made by another tool
 * (a PKCS#1 key, a PrintableString subject), so most tests also show the sandbox issues tokens
 * to certificates Orchard did not make — and no test waits for RSA key generation. token.test.ts
 * uses generateTokenKeyPair for Orchard's own.
 */
export async function testKeyPair(): Promise<TokenKeyPair> {
  return {
    certificatePem: appleFixture.certificatePem,
    privateKeyPem: appleFixture.privateKeyPem,
  };
}

export async function portal(sandbox: Sandbox, method: string, url: string, body?: unknown) {
  const response = await sandbox.app.inject({
    method: method as 'GET',
    url: `/sandbox/abm/api${url}`,
    ...(body === undefined ? {} : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return {
    status: response.statusCode,
    json: () => response.json() as Record<string, any>,
    body: response.body,
    headers: response.headers,
  };
}

export async function createServer(
  sandbox: Sandbox,
  name: string,
  keyPair?: TokenKeyPair,
): Promise<{ id: string; keyPair: TokenKeyPair }> {
  const pair = keyPair ?? (await testKeyPair());
  const response = await portal(sandbox, 'POST', '/mdm-servers', { name, publicKeyPem: pair.certificatePem });
  if (response.status !== 201) throw new Error(`create server: ${response.status} ${response.body}`);
  return { id: response.json()['id'] as string, keyPair: pair };
}

export async function downloadToken(
  sandbox: Sandbox,
  serverId: string,
): Promise<{ file: Buffer; headers: Record<string, unknown> }> {
  const response = await sandbox.app.inject({ method: 'GET', url: `/sandbox/abm/api/mdm-servers/${serverId}/token` });
  if (response.statusCode !== 200) throw new Error(`token download: ${response.statusCode} ${response.body}`);
  return { file: response.rawPayload, headers: response.headers };
}

export async function tokenFor(sandbox: Sandbox, serverId: string, keyPair: TokenKeyPair): Promise<ServerToken> {
  const { file } = await downloadToken(sandbox, serverId);
  return decryptServerToken(file, [{ id: 'k', ...keyPair }], sandbox.clock.now()).token;
}

/** A server with a downloaded token and a DEP client holding it. */
export async function serverWithClient(
  sandbox: Sandbox,
  name: string,
): Promise<{ id: string; token: ServerToken; dep: DepClient }> {
  const { id, keyPair } = await createServer(sandbox, name);
  const token = await tokenFor(sandbox, id, keyPair);
  return { id, token, dep: new DepClient(sandbox, token) };
}

export interface DepResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
  json(): any;
}

/**
 * The smallest honest DEP client: OAuth-signed GET /session, X-ADM-Auth-Session on every other
 * call, switching to a rotated session token when one comes back. No retries: tests see
 * exactly what the sandbox answers.
 */
export class DepClient {
  session: string | undefined;
  readonly headers: Record<string, string> = { 'user-agent': USER_AGENT, 'x-server-protocol-version': '7' };

  constructor(
    private readonly sandbox: Sandbox,
    public token: ServerToken,
  ) {}

  async login(): Promise<DepResponse> {
    const url = `${this.sandbox.baseUrl}/sandbox/dep/session`;
    const authorization = buildAuthorizationHeader({
      method: 'GET',
      url,
      consumerKey: this.token.consumerKey,
      consumerSecret: this.token.consumerSecret,
      token: this.token.accessToken,
      tokenSecret: this.token.accessSecret,
      nonce: randomBytes(12).toString('hex'),
      timestamp: Math.floor(Date.now() / 1000),
    });
    const response = await this.send('GET', '/session', undefined, { ...this.headers, authorization });
    if (response.status === 200) this.session = response.json().auth_session_token as string;
    return response;
  }

  /** A DEP call; logs in first when there is no session yet. */
  async call(method: string, depPath: string, body?: unknown): Promise<DepResponse> {
    if (this.session === undefined) {
      const login = await this.login();
      if (login.status !== 200) return login;
    }
    const headers: Record<string, string> = { ...this.headers, 'x-adm-auth-session': this.session ?? '' };
    if (body !== undefined) headers['content-type'] = 'application/json;charset=UTF8';
    const response = await this.send(method, depPath, body === undefined ? undefined : JSON.stringify(body), headers);
    const rotated = response.headers['x-adm-auth-session'];
    if (typeof rotated === 'string' && rotated !== '') this.session = rotated;
    return response;
  }

  async send(
    method: string,
    depPath: string,
    payload: string | undefined,
    headers: Record<string, string>,
  ): Promise<DepResponse> {
    const url = `/sandbox/dep${depPath}`;
    if (this.sandbox.baseUrl === PUBLIC_URL) {
      const response = await this.sandbox.app.inject({
        method: method as 'GET',
        url,
        headers,
        ...(payload === undefined ? {} : { payload }),
      });
      return {
        status: response.statusCode,
        body: response.body,
        headers: response.headers as DepResponse['headers'],
        json: () => response.json(),
      };
    }
    const response = await fetch(`${this.sandbox.baseUrl}${url}`, {
      method,
      headers,
      ...(payload === undefined ? {} : { body: payload }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text,
      headers: Object.fromEntries(response.headers.entries()),
      json: () => JSON.parse(text) as unknown,
    };
  }

  /** Every device of a full fetch, following cursors; returns the last cursor too. */
  async fetchAll(limit = 1000): Promise<{ serials: string[]; cursor: string; pages: number }> {
    const serials: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const response = await this.call('POST', '/server/devices', cursor === undefined ? { limit } : { cursor, limit });
      if (response.status !== 200) throw new Error(`fetch: ${response.status} ${response.body}`);
      const page = response.json();
      pages += 1;
      for (const device of page.devices as Array<{ serial_number: string }>) serials.push(device.serial_number);
      cursor = page.cursor as string;
      if (page.more_to_follow !== true) return { serials, cursor, pages };
    }
  }

  /** Sync from `cursor` until nothing more follows; returns every event and the last cursor. */
  async syncAll(cursor: string, limit = 1000): Promise<{ events: Array<Record<string, any>>; cursor: string }> {
    const events: Array<Record<string, any>> = [];
    let current = cursor;
    for (;;) {
      const response = await this.call('POST', '/devices/sync', { cursor: current, limit });
      if (response.status !== 200) throw new Error(`sync: ${response.status} ${response.body}`);
      const page = response.json();
      events.push(...(page.devices as Array<Record<string, any>>));
      current = page.cursor as string;
      if (page.more_to_follow !== true) return { events, cursor: current };
    }
  }
}

/** The latest event per serial, as a sync client keeps it (Apple may repeat a device). */
export function latestBySerial(events: ReadonlyArray<Record<string, any>>): Map<string, Record<string, any>> {
  const latest = new Map<string, Record<string, any>>();
  for (const event of events) latest.set(event['serial_number'] as string, event);
  return latest;
}

export function runOpenssl(args: readonly string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'openssl',
      args,
      { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`openssl ${args.join(' ')}: ${stderr.toString()}`, { cause: error }));
        else resolve(stdout);
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

export const DAY_MS = 24 * 60 * 60 * 1000;
