import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { DepClient, DepThrottledError, DepUnavailableError } from '../../../src/apple/dep/index.js';
import { backoffDelayMs, parseRetryAfter } from '../../../src/apple/dep/retry.js';
import { NOW, startFakeApple, testOptions, type FakeApple } from './support/fake-apple.js';

const PAGE = {
  cursor: 'c1',
  devices: [{ serial_number: 'C02ABC' }],
  more_to_follow: false,
  fetched_until: '2025-06-01T12:00:00Z',
};
const PROFILE = { profileName: 'Staff', url: 'https://orchard.example/mdm/enroll/k' };

async function fresh(): Promise<FakeApple> {
  const apple = await startFakeApple();
  apple.route('GET /account', { body: { server_uuid: 'u1' } });
  return apple;
}

test('Retry-After is read as seconds or as an HTTP-date against the injected clock', () => {
  assert.equal(parseRetryAfter('7', NOW), 7000);
  assert.equal(parseRetryAfter(' 0 ', NOW), 0);
  assert.equal(parseRetryAfter(new Date(NOW.getTime() + 42_000).toUTCString(), NOW), 42_000);
  assert.equal(parseRetryAfter(new Date(NOW.getTime() - 5_000).toUTCString(), NOW), 0);
  assert.equal(parseRetryAfter(null, NOW), null);
  assert.equal(parseRetryAfter('soon', NOW), null);
});

test('backoff is exponential with full jitter and a ceiling', () => {
  const policy = { baseDelayMs: 1000, maxDelayMs: 5000 };
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, { ...policy, random: () => 0.999999 })),
    [999, 1999, 3999, 4999, 4999],
  );
  assert.deepEqual(
    [1, 2, 3].map((n) => backoffDelayMs(n, { ...policy, random: () => 0 })),
    [0, 0, 0],
  );
});

test('429 with Retry-After in seconds, then success: waits as Apple asks (sleep recorded, not real)', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  apple.route('POST /server/devices', [{ status: 429, headers: { 'Retry-After': '7' } }, { body: PAGE }]);
  const { options, sleeps } = testOptions(apple);

  const page = await new DepClient(options).fetchDevices();
  assert.equal(page.devices[0]?.serialNumber, 'C02ABC');
  assert.deepEqual(sleeps, [7000]);
  assert.equal(apple.calls('POST /server/devices').length, 2);
});

test('429 with Retry-After as an HTTP-date, then success', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  const date = new Date(NOW.getTime() + 90_000).toUTCString();
  apple.route('POST /server/devices', [{ status: 429, headers: { 'Retry-After': date } }, { body: PAGE }]);
  const { options, sleeps } = testOptions(apple);

  await new DepClient(options).fetchDevices();
  assert.deepEqual(sleeps, [90_000]);
});

test('503 three times, then success: exponential backoff with jitter between attempts', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  apple.route('POST /server/devices', [
    { status: 503 },
    { status: 503 },
    { status: 503, body: 'SERVICE_UNAVAILABLE' },
    { body: PAGE },
  ]);
  const { options, sleeps } = testOptions(apple);

  await new DepClient(options).fetchDevices();
  assert.deepEqual(sleeps, [500, 1000, 2000]); // random() = 0.5 × 1 s, 2 s, 4 s
});

test('502 and 504 are retried for reads', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  apple.route('GET /account', [{ status: 502 }, { status: 504 }, { body: { server_uuid: 'u1' } }]);
  const { options, sleeps } = testOptions(apple);
  assert.equal((await new DepClient(options).account()).serverUuid, 'u1');
  assert.equal(sleeps.length, 2);
});

test('503 on every attempt fails with DEP_UNAVAILABLE after maxAttempts', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  apple.route('POST /server/devices', { status: 503 });
  const { options, sleeps } = testOptions(apple, { maxAttempts: 4 });

  const error: unknown = await new DepClient(options).fetchDevices().catch((caught: unknown) => caught);
  assert.ok(error instanceof DepUnavailableError);
  assert.equal(error.code, 'DEP_UNAVAILABLE');
  assert.equal(error.attempts, 4);
  assert.equal(error.repeatable, true);
  assert.match(error.message, /HTTP 503, 4 attempts/);
  assert.equal(apple.calls('POST /server/devices').length, 4);
  assert.equal(sleeps.length, 3);
});

test('429 on every attempt fails with DEP_THROTTLED carrying the wait Apple asked for', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  apple.route('POST /server/devices', { status: 429, headers: { 'Retry-After': '30' } });
  const { options, sleeps } = testOptions(apple);

  const error: unknown = await new DepClient(options).fetchDevices().catch((caught: unknown) => caught);
  assert.ok(error instanceof DepThrottledError);
  assert.equal(error.retryAfterSeconds, 30);
  assert.equal(error.kind, 'rate_limited');
  assert.deepEqual(sleeps, [30_000, 30_000, 30_000, 30_000]);
  assert.equal(apple.calls('POST /server/devices').length, 5);
});

test('a Retry-After beyond the cap fails at once with DEP_THROTTLED instead of sleeping for an hour', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  apple.route('POST /server/devices', { status: 429, headers: { 'Retry-After': '3600' } });
  apple.route('GET /account', {
    status: 503,
    headers: { 'Retry-After': new Date(NOW.getTime() + 7_200_000).toUTCString() },
  });
  const { options, sleeps } = testOptions(apple, { maxRetryAfterMs: 5 * 60_000 });
  const client = new DepClient(options);

  await assert.rejects(
    client.fetchDevices(),
    (error: unknown) => error instanceof DepThrottledError && error.retryAfterSeconds === 3600,
  );
  await assert.rejects(
    client.account(),
    (error: unknown) => error instanceof DepUnavailableError && error.retryAfterSeconds === 7200,
  );
  assert.deepEqual(sleeps, []);
});

test('a non-idempotent call is retried on 429 and 503: Apple did not process it', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  apple.route('POST /profile', [
    { status: 429, headers: { 'Retry-After': '1' } },
    { status: 503 },
    { body: { profile_uuid: 'P1', devices: {} } },
  ]);
  const { options, sleeps } = testOptions(apple);

  assert.equal((await new DepClient(options).defineProfile(PROFILE)).profileUuid, 'P1');
  assert.deepEqual(sleeps, [1000, 1000]);
});

test('a non-idempotent call is not retried on 502/504: a gateway may hide a processed request', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  apple.route('POST /devices/disown', { status: 504 });
  const { options } = testOptions(apple);

  const error: unknown = await new DepClient(options).disownDevices(['C02ABC']).catch((caught: unknown) => caught);
  assert.ok(error instanceof DepUnavailableError);
  assert.equal(error.repeatable, false);
  assert.match(error.message, /check the result in Apple Business Manager/);
  assert.equal(apple.calls('POST /devices/disown').length, 1);
});

test('a dropped connection is retried for a fetch but not for a profile define, which Apple may have carried out', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  apple.route('POST /server/devices', [{ destroy: true }, { body: PAGE }]);
  apple.route('POST /profile', { destroy: true });
  const { options, sleeps } = testOptions(apple);
  const client = new DepClient(options);

  assert.equal((await client.fetchDevices()).devices.length, 1);
  assert.equal(apple.calls('POST /server/devices').length, 2);
  assert.equal(sleeps.length, 1);

  const error: unknown = await client.defineProfile(PROFILE).catch((caught: unknown) => caught);
  assert.ok(error instanceof DepUnavailableError);
  assert.equal(error.repeatable, false);
  assert.equal(apple.calls('POST /profile').length, 1);
  assert.equal(sleeps.length, 1);
});

test('a connection that never opened is retried even for a non-idempotent call', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  apple.route('POST /device/activationlock', { body: { serial_number: 'C02ABC', response_status: 'SUCCESS' } });
  let refusals = 0;
  // undici's shape for a refused connection: TypeError('fetch failed') caused by ECONNREFUSED.
  const refuseTwice = async (input: URL | string, init: RequestInit): Promise<Response> => {
    if (String(input).endsWith('/device/activationlock') && refusals < 2) {
      refusals++;
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      });
    }
    return fetch(input, init);
  };
  const { options, sleeps } = testOptions(apple, { fetch: refuseTwice });

  const result = await new DepClient(options).activationLock({ device: 'C02ABC', escrowKey: 'secret-escrow' });
  assert.equal(result.responseStatus, 'SUCCESS');
  assert.equal(sleeps.length, 2);
});

test('a real refused connection fails with DEP_UNAVAILABLE naming the host, after the retries', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as AddressInfo;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const { options, sleeps } = testOptions({ baseUrl: `http://127.0.0.1:${port}` }, { maxAttempts: 3 });

  const error: unknown = await new DepClient(options).account().catch((caught: unknown) => caught);
  assert.ok(error instanceof DepUnavailableError);
  assert.equal(error.reason, 'connection refused');
  assert.equal(error.call, 'GET /session');
  assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
  assert.equal(sleeps.length, 2);
});

test('a call that does not answer within timeoutMs times out, and is retried only when idempotent', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  apple.route('POST /server/devices', [{ hang: true }, { body: PAGE }]);
  apple.route('POST /profile', { hang: true });
  const { options, sleeps } = testOptions(apple, { timeoutMs: 100 });
  const client = new DepClient(options);

  assert.equal((await client.fetchDevices()).devices.length, 1);
  assert.equal(sleeps.length, 1);

  const started = Date.now();
  const error: unknown = await client.defineProfile(PROFILE).catch((caught: unknown) => caught);
  assert.ok(error instanceof DepUnavailableError);
  assert.equal(error.reason, 'timed out after 100 ms');
  assert.equal(error.repeatable, false);
  assert.ok(Date.now() - started < 2000);
  assert.equal(apple.calls('POST /profile').length, 1);
});

test('a body that stalls after the headers also times out', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  const { options } = testOptions(apple, { timeoutMs: 100, maxAttempts: 2 });
  apple.route('GET /account', { body: { server_uuid: 'u1' } });
  await new DepClient(options).account(); // log in first

  const stalled = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('{"server_uuid":'); // …and never more
  });
  await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => (stalled.closeAllConnections(), stalled.close(() => resolve()))));
  const { port } = stalled.address() as AddressInfo;
  const client = new DepClient({
    ...options,
    fetch: (input, init) =>
      String(input).endsWith('/account') ? fetch(`http://127.0.0.1:${port}/account`, init) : fetch(input, init),
  });
  await assert.rejects(
    client.account(),
    (error: unknown) => error instanceof DepUnavailableError && /timed out/.test(error.reason),
  );
});

test('the caller can cancel a call, which is neither retried nor wrapped', async (t) => {
  const apple = await fresh();
  t.after(() => apple.close());
  apple.route('POST /server/devices', { hang: true });
  const { options, sleeps } = testOptions(apple);
  const controller = new AbortController();
  const pending = new DepClient(options).fetchDevices({}, { signal: controller.signal });
  setTimeout(() => controller.abort(new Error('shutting down')), 50);
  await assert.rejects(pending, { message: 'shutting down' });
  assert.deepEqual(sleeps, []);
});
