// enrollDevice against a real Orchard with the sandbox mounted, with faults put between the
// device and the server: every failure names its step and carries what the server answered,
// and the server's own refusals come through unchanged (never a 401 for a bad signature).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enrollDevice, type StepRecord } from '../../src/device-simulator/enroll.js';
import { ENROLLMENT_STEPS } from '../../src/device-simulator/errors.js';
import { KeyPool } from '../../src/device-simulator/key-pool.js';
import { freePort } from '../helpers/cli.js';
import { TEST_API_KEY } from '../helpers/orchard.js';
import { connectToken, customerWithSites, json, startSyncOrchard, type SyncHarness } from '../sync/support.js';

type Interceptor = (url: URL, init: RequestInit) => Promise<Response> | Response | undefined;

/** fetch with a hook: the interceptor may answer for the server, or return undefined to pass. */
function faultyFetch(intercept: Interceptor): typeof fetch {
  return async (input, init = {}) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    return (await intercept(url, init)) ?? fetch(input, init);
  };
}

describe('enrollDevice: steps, timings and typed failures', () => {
  let h: SyncHarness;
  let serials: string[];
  let keyPool: KeyPool;
  const options = (serial: string) => ({
    serial,
    orchardUrl: h.base,
    sandboxUrl: `${h.base}/sandbox`,
    apiKey: TEST_API_KEY,
    keyPool,
  });

  before(async () => {
    h = await startSyncOrchard('sqlite');
    keyPool = await KeyPool.generate(1);
    const customer = await customerWithSites(h, 'Acme Corp', ['Main Office']);
    const token = await connectToken(h, customer.customerId, customer.siteIds[0] ?? '', 'Acme MDM');
    serials = json(
      await h.portal('POST', '/devices', { count: 6, family: 'iPhone', mdmServerId: token.serverId }),
      201,
    )['serials'];
    await h.orchard.sync.runUntilIdle();
  });
  after(() => h.close());

  const state = async (serial: string) => json(await h.api('GET', `/api/v1/devices/${serial}`))['enrollmentState'];

  test('a clean enrollment reports every step in order, each timed, to onStep and in the result', async () => {
    const seen: StepRecord[] = [];
    const result = await enrollDevice({ ...options(serials[0] ?? ''), onStep: (r) => seen.push(r) });
    assert.ok(result.ok, result.ok ? '' : `${result.failure.step}: ${result.failure.message}`);
    assert.deepEqual(
      seen.map((r) => r.step),
      [...ENROLLMENT_STEPS],
    );
    assert.deepEqual(result.steps, seen);
    assert.ok(seen.every((r) => r.ok && r.ms >= 0 && r.serial === serials[0]));
    assert.equal(result.released, true);
    assert.deepEqual(
      result.commands.map((c) => [c.requestType, c.answered]),
      [
        ['DeviceInformation', 'Acknowledged'],
        ['DeviceConfigured', 'Acknowledged'],
      ],
    );
    assert.equal(await state(serials[0] ?? ''), 'enrolled');
  });

  test('Apple out of reach fails at lookup as UNREACHABLE, with no server answer', async () => {
    const port = await freePort();
    const result = await enrollDevice({ ...options(serials[1] ?? ''), sandboxUrl: `http://127.0.0.1:${port}/sandbox` });
    assert.ok(!result.ok);
    assert.deepEqual(
      [result.failure.step, result.failure.code, result.failure.answer],
      ['lookup', 'UNREACHABLE', null],
    );
    assert.equal(result.steps.length, 1);
  });

  test('a connection closed before any answer is tried once more, and counted; closed twice, it is UNREACHABLE', async () => {
    // What undici throws when a kept-alive connection is closed under a request.
    const closed = () =>
      Object.assign(new TypeError('fetch failed'), {
        cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
      });
    let drops = 1;
    const once = await enrollDevice({
      ...options(serials[5] ?? ''),
      fetch: faultyFetch((url) => {
        if (url.pathname === '/mdm/checkin' && drops > 0) {
          drops -= 1;
          throw closed();
        }
        return undefined;
      }),
    });
    assert.ok(once.ok, once.ok ? '' : once.failure.message);
    assert.equal(once.connectionRetries, 1);

    const always = await enrollDevice({
      ...options(serials[5] ?? ''),
      fetch: faultyFetch((url) => {
        if (url.pathname.startsWith('/mdm/enroll/')) throw closed();
        return undefined;
      }),
    });
    assert.ok(!always.ok);
    assert.deepEqual(
      [always.failure.step, always.failure.code, always.connectionRetries],
      ['profile', 'UNREACHABLE', 1],
    );
    assert.match(always.failure.message, /other side closed/);
  });

  test('a profile answer labelled as something else fails at profile, showing what the server sent', async () => {
    const result = await enrollDevice({
      ...options(serials[1] ?? ''),
      fetch: faultyFetch((url) =>
        url.pathname.startsWith('/mdm/enroll/')
          ? new Response('<html>maintenance</html>', { status: 200, headers: { 'content-type': 'text/html' } })
          : undefined,
      ),
    });
    assert.ok(!result.ok);
    assert.deepEqual([result.failure.step, result.failure.code], ['profile', 'UNEXPECTED_ANSWER']);
    assert.equal(result.failure.answer?.status, 200);
    assert.equal(result.failure.answer?.contentType, 'text/html');
    assert.equal(result.failure.answer?.body, '<html>maintenance</html>');
  });

  test('an Authenticate whose Mdm-Signature is damaged is refused by Orchard with a 4xx problem (never 401), reported as CHECKIN_REFUSED', async () => {
    const serial = serials[2] ?? '';
    const result = await enrollDevice({
      ...options(serial),
      fetch: faultyFetch((url, init) => {
        if (url.pathname !== '/mdm/checkin') return undefined;
        const headers = new Headers(init.headers);
        headers.set('mdm-signature', Buffer.from('not a signature').toString('base64'));
        return fetch(url, { ...init, headers });
      }),
    });
    assert.ok(!result.ok);
    assert.deepEqual([result.failure.step, result.failure.code], ['authenticate', 'CHECKIN_REFUSED']);
    const status = result.failure.answer?.status ?? 0;
    assert.ok(status >= 400 && status < 500 && status !== 401, `status ${status}`);
    assert.match(result.failure.answer?.contentType ?? '', /problem\+json/);
    assert.notEqual(await state(serial), 'enrolled');
  });

  test('a server that never sends DeviceConfigured leaves the device in Setup Assistant: POLL_TIMEOUT at commands', async () => {
    const result = await enrollDevice({
      ...options(serials[3] ?? ''),
      pollTimeoutMs: 1500,
      fetch: faultyFetch((url) => (url.pathname === '/mdm/connect' ? new Response(null, { status: 200 }) : undefined)),
    });
    assert.ok(!result.ok);
    assert.deepEqual([result.failure.step, result.failure.code], ['commands', 'POLL_TIMEOUT']);
    assert.match(result.failure.message, /no DeviceConfigured within \d+ s/);
    assert.deepEqual(
      result.steps.map((s) => [s.step, s.ok]),
      ENROLLMENT_STEPS.map((s) => [s, s !== 'commands']),
    );
  });

  test('a minimum iOS version above the device’s gets Apple’s software-update answer: SOFTWARE_UPDATE_REQUIRED, not enrolled', async () => {
    const serial = serials[4] ?? '';
    const tokenId = json(await h.api('GET', `/api/v1/devices/${serial}`))['abmTokenId'];
    const profile = json(await h.api('GET', `/api/v1/abm-tokens/${tokenId}/enrollment-profile`));
    const { url: _url, profileUuid: _uuid, definedAt: _defined, lastError: _error, ...editable } = profile;
    json(
      await h.api('PUT', `/api/v1/abm-tokens/${tokenId}/enrollment-profile`, {
        ...editable,
        minimumIosVersion: '99.0',
      }),
    );
    await h.orchard.sync.runUntilIdle();
    const result = await enrollDevice(options(serial));
    assert.ok(!result.ok);
    assert.deepEqual([result.failure.step, result.failure.code], ['profile', 'SOFTWARE_UPDATE_REQUIRED']);
    assert.match(result.failure.message, /requires OS 99\.0/);
    assert.equal(result.failure.answer?.status, 403);
    assert.notEqual(await state(serial), 'enrolled');
  });
});
