import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_TOKEN_UPLOAD_BYTES } from '../../src/domain/abm-tokens.js';
import { TEST_API_KEY, startTestOrchard, type TestOrchard } from '../helpers/orchard.js';

// Short enough for a test, and apart enough to tell which timeout cut a connection off.
const BODY_IDLE_MS = 1000;
const HEADERS_MS = 2000;
const REQUEST_MS = 4000;
const KEEP_ALIVE_MS = 1000;
/** Node looks for expired requests every quarter of the shortest timeout; then the socket closes. */
const SLACK_MS = HEADERS_MS / 4 + 700;
/** Without the timeouts these connections stay open; the test gives up on them after this. */
const GIVE_UP_MS = 15_000;

interface Connection {
  readonly socket: net.Socket;
  received(): string;
  /** Milliseconds from opening until the server closed the connection, or undefined if it never did. */
  readonly closedAfter: Promise<number | undefined>;
}

function connect(port: number): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const opened = Date.now();
    const socket = net.connect({ port, host: '127.0.0.1' });
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    // Writes after the server closed fail with EPIPE/ECONNRESET: that is the point.
    socket.on('error', () => undefined);
    const closedAfter = new Promise<number | undefined>((done) => {
      const giveUp = setTimeout(() => done(undefined), GIVE_UP_MS);
      socket.once('close', () => {
        clearTimeout(giveUp);
        done(Date.now() - opened);
      });
    });
    socket.once('connect', () => resolve({ socket, received: () => data, closedAfter }));
    socket.once('error', reject);
  });
}

/** Writes `chunks` one `everyMs` apart while the socket is open. */
async function trickle(socket: net.Socket, chunks: Iterable<string | Buffer>, everyMs: number): Promise<void> {
  for (const chunk of chunks) {
    if (socket.destroyed || !socket.writable) return;
    socket.write(chunk);
    await sleep(everyMs);
  }
}

function* forever(chunk: string): Generator<string> {
  for (let i = 0; i < 1000; i++) yield chunk;
}

function assertClosedBetween(after: number | undefined, from: number, to: number, what: string): void {
  assert.notEqual(after, undefined, `${what}: the server never closed the connection`);
  assert.ok(
    after !== undefined && after >= from && after <= to,
    `${what}: closed after ${after} ms, expected ${from}–${to}`,
  );
}

describe('HTTP timeouts on a listening server', () => {
  let t: TestOrchard;
  let port: number;

  before(async () => {
    t = await startTestOrchard('sqlite', {
      env: {
        ORCHARD_HTTP_BODY_TIMEOUT_SECONDS: String(BODY_IDLE_MS / 1000),
        ORCHARD_HTTP_HEADERS_TIMEOUT_SECONDS: String(HEADERS_MS / 1000),
        ORCHARD_HTTP_REQUEST_TIMEOUT_SECONDS: String(REQUEST_MS / 1000),
        ORCHARD_HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: String(KEEP_ALIVE_MS / 1000),
      },
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as net.AddressInfo).port;
  });
  after(() => t.close());

  test('a client that sends half a body and goes quiet is disconnected after the body timeout', async () => {
    const connections = await Promise.all(Array.from({ length: 20 }, () => connect(port)));
    for (const { socket } of connections) {
      socket.write(
        'POST /api/v1/auth/login HTTP/1.1\r\nHost: orchard\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"email":"slow@',
      );
    }
    for (const connection of connections) {
      assertClosedBetween(await connection.closedAfter, BODY_IDLE_MS - 100, BODY_IDLE_MS + 1500, 'half a body');
      assert.equal(connection.received(), '', 'no answer is owed to a request that never arrived');
    }
  });

  test('a body that trickles in without ever pausing long is cut off at the request timeout with a 408', async () => {
    const connection = await connect(port);
    connection.socket.write(
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: orchard\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n',
    );
    void trickle(connection.socket, forever(' '), BODY_IDLE_MS / 4);
    assertClosedBetween(await connection.closedAfter, REQUEST_MS - 100, REQUEST_MS + SLACK_MS, 'trickled body');
    assert.match(connection.received(), /^HTTP\/1\.1 408 /);
  });

  test('headers that trickle in are cut off at the headers timeout with a 408', async () => {
    const connection = await connect(port);
    connection.socket.write('GET /healthz HTTP/1.1\r\nHost: orchard\r\n');
    void trickle(connection.socket, forever('X-Slow: 1\r\n'), 200);
    assertClosedBetween(await connection.closedAfter, HEADERS_MS - 100, HEADERS_MS + SLACK_MS, 'trickled headers');
    assert.match(connection.received(), /^HTTP\/1\.1 408 /);
  });

  test('a connection that never sends a byte is closed after the headers timeout', async () => {
    const connections = await Promise.all(Array.from({ length: 20 }, () => connect(port)));
    for (const connection of connections) {
      assertClosedBetween(await connection.closedAfter, HEADERS_MS - 100, HEADERS_MS + 1000, 'silent connection');
    }
  });

  test('a handler slower than every client timeout still answers', async () => {
    // Authentication waits for this, longer than the body and headers timeouts together.
    const slowMs = BODY_IDLE_MS + HEADERS_MS + 500;
    const hook = t.orchard.accounts.authenticateApiKey.bind(t.orchard.accounts);
    t.orchard.accounts.authenticateApiKey = async (...args) => {
      await sleep(slowMs);
      return hook(...args);
    };
    try {
      const connection = await connect(port);
      connection.socket.write(
        `GET /api/v1/customers HTTP/1.1\r\nHost: orchard\r\nAuthorization: Bearer ${TEST_API_KEY}\r\nConnection: close\r\n\r\n`,
      );
      assert.ok(((await connection.closedAfter) ?? 0) >= slowMs);
      assert.match(connection.received(), /^HTTP\/1\.1 200 /);
    } finally {
      t.orchard.accounts.authenticateApiKey = hook;
    }
  });

  test('an idle kept-alive connection is closed after the keep-alive timeout', async () => {
    const connection = await connect(port);
    connection.socket.write('GET /healthz HTTP/1.1\r\nHost: orchard\r\n\r\n');
    const closedAfter = await connection.closedAfter;
    assert.match(connection.received(), /^HTTP\/1\.1 200 /);
    assert.doesNotMatch(connection.received(), /connection: close/i, 'kept alive, then closed for idling');
    // Node holds the socket a second past the timeout it announces, so that the client gives up first.
    assertClosedBetween(closedAfter, KEEP_ALIVE_MS - 100, KEEP_ALIVE_MS + 1000 + 1000, 'idle keep-alive');
  });

  test('a token file of the largest size, sent at a steady pace, still arrives and is answered', async () => {
    const customerId = (await t.api('POST', '/api/v1/customers', { name: 'Acme Corp' })).json().id;
    const siteId = (await t.api('POST', `/api/v1/customers/${customerId}/sites`, { name: 'Main' })).json().id;
    const token = await t.api('POST', '/api/v1/abm-tokens', { customerId, siteId });
    assert.equal(token.statusCode, 201, token.body);

    const connection = await connect(port);
    connection.socket.write(
      `PUT /api/v1/abm-tokens/${token.json().id}/token HTTP/1.1\r\nHost: orchard\r\nAuthorization: Bearer ${TEST_API_KEY}\r\n` +
        `Content-Type: application/octet-stream\r\nContent-Length: ${MAX_TOKEN_UPLOAD_BYTES}\r\nConnection: close\r\n\r\n`,
    );
    // Eight pieces over about 2.5 s: longer than the body timeout in all, never idle for it.
    const piece = MAX_TOKEN_UPLOAD_BYTES / 8;
    await trickle(
      connection.socket,
      Array.from({ length: 8 }, () => Buffer.alloc(piece, 0x41)),
      (BODY_IDLE_MS * 3) / 10,
    );
    await connection.closedAfter;
    const [status, body = ''] = [connection.received().split('\r\n')[0], connection.received().split('\r\n\r\n')[1]];
    assert.match(status ?? '', /^HTTP\/1\.1 400 /, 'the handler read the whole file and refused it as not a token');
    assert.equal(JSON.parse(body).status, 400);
  });
});
