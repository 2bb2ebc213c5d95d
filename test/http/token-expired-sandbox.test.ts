// Apple's `token_expired` over real HTTP: the sandbox's clock runs a year ahead of Orchard's,
// so Apple calls the token expired while the date in its file has not passed yet. The health
// check and the device sync must both show it as expired, in Apple's words — not as revoked.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TokenHealthMonitor } from '../../src/jobs/token-health.js';
import { freePort } from '../helpers/cli.js';
import { TEST_API_KEY, startTestOrchard, type TestOrchard } from '../helpers/orchard.js';

const DAY_SECONDS = 24 * 60 * 60;

describe('a token Apple answers token_expired for, against the sandbox in the same server', () => {
  let t: TestOrchard;
  let base: string;
  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json', ...init.headers },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const sandbox = async (path: string, body?: unknown) =>
    fetch(`${base}/sandbox/abm/api${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      // The portal answers signed-in users of the host app only.
      headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const tokens: Array<{ id: string }> = [];

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestOrchard('sqlite', { env: { ORCHARD_PUBLIC_URL: base, PORT: String(port) } });
    await t.app.listen({ host: '127.0.0.1', port });

    const customer = (await api('/customers', { method: 'POST', body: JSON.stringify({ name: 'Expiry Co' }) })).body;
    for (const name of ['Health checked', 'Synced']) {
      const site = (
        await api(`/customers/${String(customer['id'])}/sites`, { method: 'POST', body: JSON.stringify({ name }) })
      ).body;
      const token = (
        await api('/abm-tokens', {
          method: 'POST',
          body: JSON.stringify({ customerId: customer['id'], siteId: site['id'] }),
        })
      ).body as { id: string };
      const publicKeyPem = await (
        await fetch(`${base}/api/v1/abm-tokens/${token.id}/public-key`, {
          headers: { authorization: `Bearer ${TEST_API_KEY}` },
        })
      ).text();
      const server = (await (await sandbox('/mdm-servers', { name: `${name} server`, publicKeyPem })).json()) as {
        id: string;
      };
      const file = Buffer.from(await (await sandbox(`/mdm-servers/${server.id}/token`)).arrayBuffer());
      const uploaded = await api(`/abm-tokens/${token.id}/token`, {
        method: 'PUT',
        body: file,
        headers: { 'content-type': 'application/octet-stream' },
      });
      assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
      assert.equal(uploaded.body['status'], 'active');
      tokens.push(token);
    }
    // A year and a day later, for Apple only: Orchard's clock still finds the file's date ahead.
    const clock = await sandbox('/clock', { advanceSeconds: 366 * DAY_SECONDS });
    assert.equal(clock.status, 200);
  });
  after(() => t.close());

  function assertExpiredInApplesWords(token: Record<string, unknown>) {
    assert.equal(token['status'], 'expired', JSON.stringify(token));
    assert.match(String(token['statusDetail']), /Apple answered token_expired/);
    assert.match(String(token['statusDetail']), /Download Token/, 'says how to renew');
    assert.doesNotMatch(String(token['statusDetail']), /revoked|superseded|newer token|password/);
  }

  test('a device sync that meets token_expired shows the token as expired too', async () => {
    const [, token] = tokens;
    assert.ok(token);
    const result = await t.orchard.sync.runNow(token.id);
    assert.ok(result !== 'busy' && result.outcome === 'failed', JSON.stringify(result));
    const after = (await api(`/abm-tokens/${token.id}`)).body;
    assertExpiredInApplesWords(after);
    assert.match(String(after['lastSyncError']), /expired/);
  });

  test('the token health check shows it as expired, saying Apple answered token_expired', async () => {
    const [token] = tokens;
    assert.ok(token);
    assert.equal((await api(`/abm-tokens/${token.id}`)).body['status'], 'active', 'untouched by the other test');
    await new TokenHealthMonitor(t.orchard.abmTokens, { intervalMs: 60_000, log: t.app.log }).checkAll();
    assertExpiredInApplesWords((await api(`/abm-tokens/${token.id}`)).body);
  });
});
