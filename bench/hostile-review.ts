// Re-runs the hostile review's cases (issue 8) against a real `orchard serve` process and
// prints what it saw as one JSON object:
//
//   - slow bodies: 500 connections each send headers and half a body, then nothing; how many
//     are still open just after the body timeout;
//   - sign-in: 100 concurrent wrong passwords for one account from one address; how many
//     were answered 401 (allowed to guess) and how many 429;
//   - client input: NUL and control characters in a path id, `q`, a cursor, a JSON body and
//     the unauthenticated sign-in email; how many answers were 5xx;
//   - PostgreSQL partitioned (postgres only): the database connection goes through a TCP
//     proxy that stops passing bytes; 50 requests, `/healthz` among them; the slowest answer
//     and how many were not 503.
//
//     npx tsx bench/hostile-review.ts sqlite
//     npx tsx bench/hostile-review.ts postgres
//
// Run `npm run build:server` first: the server is the built command, as in production.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT, freePort } from './support.js';
import { TEST_ADMIN, TEST_API_KEY, createTestDatabase } from '../test/helpers/orchard.js';
import { postgresUrl, type Engine } from '../test/helpers/services.js';
import { tcpProxy, type TcpProxy } from '../test/helpers/tcp.js';

const engine = (process.argv[2] ?? 'sqlite') as Engine;
const BODY_TIMEOUT_SECONDS = 5;
const DB_TIMEOUT_SECONDS = 2;

async function serve(env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'serve'], {
    env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'silent', ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(100)) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return child;
    } catch {
      // not listening yet
    }
  }
  child.kill('SIGKILL');
  throw new Error('orchard serve did not start');
}

/** Opens `count` connections that each send headers and half a JSON body, then go quiet. */
async function slowBodies(port: number, count: number): Promise<{ opened: number; openAfterTimeout: number }> {
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Socket>((resolve) => {
          const socket = net.connect(port, '127.0.0.1', () => {
            socket.write(
              `POST /api/v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_API_KEY}\r\n` +
                'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":"half',
            );
            resolve(socket);
          });
          socket.on('error', () => undefined);
          socket.resume();
        }),
    ),
  );
  await sleep((BODY_TIMEOUT_SECONDS + 2) * 1000);
  const openAfterTimeout = sockets.filter((socket) => !socket.destroyed && !socket.readableEnded).length;
  for (const socket of sockets) socket.destroy();
  return { opened: sockets.length, openAfterTimeout };
}

async function concurrentWrongPasswords(base: string): Promise<Record<number, number>> {
  const answers = await Promise.all(
    Array.from({ length: 100 }, () =>
      fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: TEST_ADMIN.email, password: 'not the password at all' }),
      }),
    ),
  );
  const counts: Record<number, number> = {};
  for (const answer of answers) counts[answer.status] = (counts[answer.status] ?? 0) + 1;
  return counts;
}

async function controlCharacters(base: string): Promise<{ requests: number; status5xx: number }> {
  const auth = { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' };
  const probes: Array<[string, RequestInit]> = [];
  for (const bad of ['\u0000', 'a\u0000b', '\u0001', '\u001f', '\u007f', '\u0085']) {
    const e = encodeURIComponent(bad);
    probes.push(
      [`/api/v1/customers/${e}`, { headers: auth }],
      [`/api/v1/customers?q=${e}`, { headers: auth }],
      [`/api/v1/customers?cursor=${e}`, { headers: auth }],
      [`/api/v1/devices?q=${e}`, { headers: auth }],
      [`/api/v1/abm-tokens/${e}`, { headers: auth }],
      [`/api/v1/customers`, { method: 'POST', headers: auth, body: JSON.stringify({ name: `x${bad}` }) }],
      [
        `/api/v1/auth/login`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: bad, password: bad }),
        },
      ],
    );
  }
  let status5xx = 0;
  for (const [url, init] of probes) if ((await fetch(`${base}${url}`, init)).status >= 500) status5xx += 1;
  return { requests: probes.length, status5xx };
}

async function partitioned(
  base: string,
  proxy: TcpProxy,
): Promise<{ requests: number; not503: number; slowestMs: number }> {
  proxy.partition();
  await proxy.setMode('silent');
  const started = Date.now();
  let slowestMs = 0;
  let not503 = 0;
  const urls = Array.from({ length: 50 }, (_, i) => (i % 5 === 0 ? '/healthz' : '/api/v1/customers'));
  await Promise.all(
    urls.map(async (url) => {
      const answer = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
      slowestMs = Math.max(slowestMs, Date.now() - started);
      if (answer.status !== 503) not503 += 1;
    }),
  );
  await proxy.setMode('forward');
  return { requests: urls.length, not503, slowestMs };
}

const database = await createTestDatabase(engine);
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
let proxy: TcpProxy | undefined;
const env: Record<string, string> = {
  ...database.env,
  ORCHARD_HTTP_BODY_TIMEOUT_SECONDS: String(BODY_TIMEOUT_SECONDS),
  ORCHARD_DB_CONNECT_TIMEOUT_SECONDS: String(DB_TIMEOUT_SECONDS),
  ORCHARD_DB_STATEMENT_TIMEOUT_SECONDS: String(DB_TIMEOUT_SECONDS),
};
if (engine === 'postgres') {
  const target = new URL(postgresUrl);
  proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) }, 'forward');
  const through = new URL(env['DATABASE_URL'] ?? postgresUrl);
  through.host = `127.0.0.1:${proxy.port}`;
  env['DATABASE_URL'] = through.toString();
}
const server = await serve(env, port);
try {
  const result = {
    engine,
    bodyTimeoutSeconds: BODY_TIMEOUT_SECONDS,
    slowBodies: await slowBodies(port, 500),
    concurrentWrongPasswords: await concurrentWrongPasswords(base),
    controlCharacters: await controlCharacters(base),
    ...(proxy === undefined
      ? {}
      : { databaseTimeoutSeconds: DB_TIMEOUT_SECONDS, partitioned: await partitioned(base, proxy) }),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  server.kill('SIGKILL');
  await proxy?.close();
  await database.drop();
}
