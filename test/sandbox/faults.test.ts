// Fault injection through the portal API, over a real listening socket (dropped connections
// and Retry-After headers only mean something on the wire).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { portal, serverWithClient, startSandbox, type Sandbox } from './support.js';

describe('fault injection', () => {
  let sandbox: Sandbox;
  let n = 0;
  const fresh = async () => serverWithClient(sandbox, `Faulty ${++n}`);
  const setFaults = async (id: string, rules: unknown) => {
    const response = await portal(sandbox, 'POST', `/mdm-servers/${id}/faults`, rules);
    assert.equal(response.status, 200, response.body);
    return response.json();
  };

  before(async () => {
    sandbox = await startSandbox({ listen: true });
  });
  after(() => sandbox.destroy());

  test('rateLimit: the next K calls get 429 with Retry-After, then calls succeed', async () => {
    const { id, dep } = await fresh();
    await dep.login();
    const stored = await setFaults(id, [{ kind: 'rateLimit', retryAfterSeconds: 7, count: 2 }]);
    assert.deepEqual(stored.rules, [{ kind: 'rateLimit', retryAfterSeconds: 7, count: 2, remaining: 2 }]);
    for (let i = 0; i < 2; i++) {
      const limited = await dep.call('GET', '/account');
      assert.equal(limited.status, 429);
      assert.equal(limited.headers['retry-after'], '7');
      assert.equal(limited.body, 'TOO_MANY_REQUESTS');
    }
    assert.equal((await dep.call('GET', '/account')).status, 200);
    assert.deepEqual((await portal(sandbox, 'GET', `/mdm-servers/${id}/faults`)).json()['rules'], []);
  });

  test('Retry-After can be an HTTP date', async () => {
    const { id, dep } = await fresh();
    await dep.login();
    await setFaults(id, { rules: [{ kind: 'rateLimit', retryAfterSeconds: 120, retryAfterAsDate: true }] });
    const limited = await dep.call('GET', '/account');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['retry-after'], new Date(sandbox.clock.now().getTime() + 120_000).toUTCString());
  });

  test('unavailable: 503 with Retry-After for the next K calls, /session included', async () => {
    const { id, dep } = await fresh();
    await setFaults(id, [{ kind: 'unavailable', retryAfterSeconds: 3, count: 1 }]);
    const outage = await dep.login();
    assert.equal(outage.status, 503);
    assert.equal(outage.headers['retry-after'], '3');
    assert.equal((await dep.login()).status, 200);
  });

  test('slow: answers are delayed by delayMs', async () => {
    const { id, dep } = await fresh();
    await dep.login();
    await setFaults(id, [{ kind: 'slow', delayMs: 300, count: 1 }]);
    const started = performance.now();
    assert.equal((await dep.call('GET', '/account')).status, 200);
    assert.ok(performance.now() - started >= 290);
    const quick = performance.now();
    await dep.call('GET', '/account');
    assert.ok(performance.now() - quick < 250);
  });

  test('dropConnection: the socket closes without a response, then the service answers again', async () => {
    const { id, dep } = await fresh();
    await dep.login();
    await setFaults(id, [{ kind: 'dropConnection', count: 1 }]);
    await assert.rejects(dep.call('POST', '/server/devices', {}), (error: Error) => error.message === 'fetch failed');
    assert.equal((await dep.call('POST', '/server/devices', {})).status, 200);
  });

  test('faults can be scoped to one DEP path', async () => {
    const { id, dep } = await fresh();
    await dep.login();
    await setFaults(id, [{ kind: 'unavailable', retryAfterSeconds: 1, count: 5, path: '/server/devices' }]);
    assert.equal((await dep.call('GET', '/account')).status, 200);
    assert.equal((await dep.call('POST', '/server/devices', {})).status, 503);
    // Paths are also accepted with the mount prefix.
    await setFaults(id, [{ kind: 'rateLimit', retryAfterSeconds: 1, path: '/sandbox/dep/account' }]);
    assert.equal((await dep.call('POST', '/server/devices', {})).status, 200);
    assert.equal((await dep.call('GET', '/account')).status, 429);
  });

  test('termsNotAccepted: 403 T_C_NOT_SIGNED for this server until cleared', async () => {
    const { id, dep } = await fresh();
    const other = await fresh();
    await dep.login();
    await setFaults(id, [{ kind: 'termsNotAccepted' }]);
    const call = await dep.call('GET', '/account');
    assert.equal(call.status, 403);
    assert.equal(JSON.parse(call.body).code, 'T_C_NOT_SIGNED');
    assert.equal((await dep.login()).status, 403);
    assert.equal((await other.dep.call('GET', '/account')).status, 200, 'other servers are unaffected');
    assert.equal((await portal(sandbox, 'DELETE', `/mdm-servers/${id}/faults`)).status, 204);
    assert.equal((await dep.login()).status, 200);
  });

  test('tokenRevoked: sessions get 403 FORBIDDEN and /session 401 token_rejected', async () => {
    const { id, dep } = await fresh();
    await dep.login();
    await setFaults(id, [{ kind: 'tokenRevoked' }]);
    const call = await dep.call('GET', '/account');
    assert.equal(call.status, 403);
    assert.equal(call.body, 'FORBIDDEN');
    const login = await dep.login();
    assert.equal(login.status, 401);
    assert.equal(login.body, 'token_rejected');
  });

  test('expireSessions: every session of the server answers 401 at once; a new login works', async () => {
    const { id, dep } = await fresh();
    await dep.login();
    const response = await setFaults(id, [{ kind: 'expireSessions' }]);
    assert.deepEqual(response, { rules: [], expiredSessions: 1 });
    const call = await dep.call('GET', '/account');
    assert.equal(call.status, 401);
    assert.equal(call.body, 'UNAUTHORIZED');
    assert.equal((await dep.login()).status, 200);
    assert.equal((await dep.call('GET', '/account')).status, 200);
  });

  test('bad rules are refused with 400 FAULT_RULES_INVALID and a message', async () => {
    const { id } = await fresh();
    for (const rules of [
      [{ kind: 'explode' }],
      [{ kind: 'slow' }],
      [{ kind: 'rateLimit', retryAfterSeconds: 1, count: 0 }],
      'nope',
    ]) {
      const response = await portal(sandbox, 'POST', `/mdm-servers/${id}/faults`, rules);
      assert.equal(response.status, 400);
      assert.equal(response.json()['code'], 'FAULT_RULES_INVALID');
      assert.ok((response.json()['message'] as string).length > 10);
    }
    assert.equal((await portal(sandbox, 'POST', '/mdm-servers/nope/faults', [])).status, 404);
  });
});
