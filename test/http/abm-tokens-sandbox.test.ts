// Adding an ABM token end to end over real HTTP: Orchard's API, its DEP client, and the Apple
// sandbox mounted in the same server (sandbox mode), exactly as `npm start` runs them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../helpers/cli.js';
import { TEST_API_KEY, startTestOrchard, type TestOrchard } from '../helpers/orchard.js';

describe('ABM token upload against the sandbox in the same server', () => {
  let t: TestOrchard;
  let base: string;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json', ...init.headers },
    });
  // The portal inside Orchard answers signed-in users and API keys only.
  const sandbox = (path: string, body?: unknown) =>
    fetch(`${base}/sandbox/abm/api${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestOrchard('sqlite', { env: { ORCHARD_PUBLIC_URL: base, PORT: String(port) } });
    await t.app.listen({ host: '127.0.0.1', port });
  });
  after(() => t.close());

  async function pendingToken(siteName: string) {
    const customers = (await (await api('/api/v1/customers?q=sandbox')).json()) as { items: Array<{ id: string }> };
    const customerId =
      customers.items[0]?.id ??
      (
        (await (
          await api('/api/v1/customers', { method: 'POST', body: JSON.stringify({ name: 'Sandbox Co' }) })
        ).json()) as { id: string }
      ).id;
    const site = (await (
      await api(`/api/v1/customers/${customerId}/sites`, { method: 'POST', body: JSON.stringify({ name: siteName }) })
    ).json()) as {
      id: string;
    };
    return (await (
      await api('/api/v1/abm-tokens', { method: 'POST', body: JSON.stringify({ customerId, siteId: site.id }) })
    ).json()) as {
      id: string;
    };
  }

  test('the public key goes to an MDM server in the sandbox ABM; its token uploads and the token is active with that server', async () => {
    const token = await pendingToken('Main Office');
    const publicKeyPem = await (await api(`/api/v1/abm-tokens/${token.id}/public-key`)).text();
    const server = (await (await sandbox('/mdm-servers', { name: 'Orchard Server 1', publicKeyPem })).json()) as {
      id: string;
    };
    const file = Buffer.from(await (await sandbox(`/mdm-servers/${server.id}/token`)).arrayBuffer());

    const uploaded = await api(`/api/v1/abm-tokens/${token.id}/token`, {
      method: 'PUT',
      body: file,
      headers: { 'content-type': 'application/octet-stream' },
    });
    const body = (await uploaded.json()) as Record<string, unknown>;
    assert.equal(uploaded.status, 200, JSON.stringify(body));
    assert.equal(body['status'], 'active');
    assert.equal(body['serverName'], 'Orchard Server 1');
    assert.equal(body['orgName'], 'Sandbox Organization');
  });
});
