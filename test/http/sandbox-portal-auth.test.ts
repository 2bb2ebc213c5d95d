// The sandbox's ABM portal, mounted in Orchard, answers Orchard's signed-in users only (session
// or API key, exactly as /api/v1 does); the standalone sandbox has no users and stays open; and
// production mounts the sandbox only when ORCHARD_SANDBOX=1 says so.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateTokenKeyPair } from '../../src/apple/pki.js';
import { TEST_ADMIN, TEST_API_KEY, startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { startSandbox, type Sandbox } from '../sandbox/support.js';

const PORTAL_API = '/sandbox/abm/api';

describe('the ABM portal mounted in Orchard', () => {
  let t: TestOrchard;
  let certificatePem: string;
  let session: { cookie: string; csrfToken: string };

  before(async () => {
    t = await startTestOrchard('sqlite');
    certificatePem = (await generateTokenKeyPair({ commonName: 'Portal auth', now: new Date() })).certificatePem;
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: TEST_ADMIN.email, password: TEST_ADMIN.password },
    });
    assert.equal(login.statusCode, 200, login.body);
    const cookie = login.cookies.find((c) => c.name === 'orchard_session');
    assert.ok(cookie);
    session = { cookie: `orchard_session=${cookie.value}`, csrfToken: login.json().csrfToken };
  });
  after(() => t.close());

  test('refuses its API to a caller who is not signed in, for reads and writes, with 401', async () => {
    for (const [method, url] of [
      ['GET', '/mdm-servers'],
      ['POST', '/mdm-servers'],
      ['POST', '/devices'],
      ['GET', '/clock'],
      ['GET', '/mdm-servers/some-id/token'],
    ] as const) {
      const res = await t.app.inject({
        method,
        url: `${PORTAL_API}${url}`,
        payload: method === 'POST' ? {} : undefined,
      });
      assert.equal(res.statusCode, 401, `${method} ${url}`);
      assert.equal(res.json().code, 'UNAUTHENTICATED');
    }
  });

  test('refuses a revoked or mistyped API key with INVALID_API_KEY, as /api/v1 does', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `${PORTAL_API}/mdm-servers`,
      headers: { authorization: 'Bearer not-a-real-key' },
    });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().code, 'INVALID_API_KEY');
  });

  test('answers an API key: an MDM server is made and its token downloaded', async () => {
    const made = await t.api('POST', `${PORTAL_API}/mdm-servers`, { name: 'Key server', publicKeyPem: certificatePem });
    assert.equal(made.statusCode, 201, made.body);
    const token = await t.api('GET', `${PORTAL_API}/mdm-servers/${made.json().id}/token`);
    assert.equal(token.statusCode, 200);
    assert.match(String(token.headers['content-type']), /^application\/pkcs7-mime/);
  });

  test('answers a signed-in session; its writes need the CSRF token, as the web app sends it', async () => {
    const list = await t.app.inject({
      method: 'GET',
      url: `${PORTAL_API}/mdm-servers`,
      headers: { cookie: session.cookie },
    });
    assert.equal(list.statusCode, 200, list.body);
    const body = { name: 'Session server', publicKeyPem: certificatePem };
    const forged = await t.app.inject({
      method: 'POST',
      url: `${PORTAL_API}/mdm-servers`,
      headers: { cookie: session.cookie },
      payload: body,
    });
    assert.equal(forged.statusCode, 403);
    assert.equal(forged.json().code, 'CSRF_FAILED');
    const made = await t.app.inject({
      method: 'POST',
      url: `${PORTAL_API}/mdm-servers`,
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken },
      payload: body,
    });
    assert.equal(made.statusCode, 201, made.body);
  });

  test('the page asks a visitor who is not signed in to sign in to Orchard, and shows nothing else', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/sandbox/abm' });
    assert.equal(res.statusCode, 401);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.body, /Sign in to Orchard first/);
    assert.match(res.body, /<a href="\/login">Sign in to Orchard<\/a>/);
    assert.doesNotMatch(res.body, /portal\.js|MDM Server Assignment/);
  });

  test("the page gives a signed-in browser its session's CSRF token for the page's writes", async () => {
    const res = await t.app.inject({ method: 'GET', url: '/sandbox/abm', headers: { cookie: session.cookie } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(res.body, /MDM Server Assignment/);
    assert.ok(
      res.body.includes(`<meta name="csrf-token" data-header="x-csrf-token" content="${session.csrfToken}">`),
      'CSRF meta tag',
    );
  });

  test('the DEP web service keeps its own OAuth and Apple error bodies', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/sandbox/dep/account',
      headers: { 'user-agent': 'test', 'x-server-protocol-version': '3' },
    });
    assert.equal(res.statusCode, 401);
    assert.doesNotMatch(String(res.headers['content-type']), /problem|json/);
    assert.doesNotMatch(res.body, /UNAUTHENTICATED/);
  });
});

describe('the standalone sandbox (orchard sandbox) has no users', () => {
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await startSandbox();
  });
  after(() => sandbox.destroy());

  test('its portal API and page answer without any sign-in, and the page has no CSRF token', async () => {
    const list = await sandbox.app.inject({ method: 'GET', url: `${PORTAL_API}/mdm-servers` });
    assert.equal(list.statusCode, 200);
    const made = await sandbox.app.inject({ method: 'POST', url: `${PORTAL_API}/devices`, payload: { count: 2 } });
    assert.equal(made.statusCode, 201, made.body);
    const page = await sandbox.app.inject({ method: 'GET', url: '/sandbox/abm' });
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /csrf-token/);
  });
});

describe('the sandbox in production', () => {
  const production = { NODE_ENV: 'production', ORCHARD_PUBLIC_URL: 'https://orchard.example.com' };

  test('is not mounted unless ORCHARD_SANDBOX=1', async () => {
    const t = await startTestOrchard('sqlite', { env: production });
    try {
      for (const url of ['/sandbox/abm', `${PORTAL_API}/mdm-servers`, '/sandbox/dep/account']) {
        const res = await t.api('GET', url);
        assert.equal(res.statusCode, 404, url);
      }
      const system = (await t.api('GET', '/api/v1/system')).json();
      assert.equal(system.sandbox, false);
      assert.equal(system.mode, 'production');
      assert.equal(system.appleBusinessManagerUrl, 'https://business.apple.com');
    } finally {
      await t.close();
    }
  });

  test('with ORCHARD_SANDBOX=1 it is mounted, signed-in only, and /api/v1/system tells the web app to warn', async () => {
    const t = await startTestOrchard('sqlite', { env: { ...production, ORCHARD_SANDBOX: '1' } });
    try {
      assert.equal((await t.app.inject({ method: 'GET', url: `${PORTAL_API}/mdm-servers` })).statusCode, 401);
      assert.equal((await t.api('GET', `${PORTAL_API}/mdm-servers`)).statusCode, 200);
      const system = (await t.api('GET', '/api/v1/system')).json();
      assert.equal(system.sandbox, true);
      assert.equal(system.mode, 'production');
    } finally {
      await t.close();
    }
  });
});
