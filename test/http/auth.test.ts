import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ManualClock,
  TEST_ADMIN,
  TEST_API_KEY,
  dumpDatabase,
  startTestOrchard,
  type TestOrchard,
} from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';
import { COMMAND_LINE } from '../../src/domain/principal.js';

function sessionCookie(res: { headers: Record<string, unknown> }): { header: string; raw: string } {
  const setCookie = res.headers['set-cookie'];
  const raw = (Array.isArray(setCookie) ? setCookie : [setCookie])
    .map(String)
    .find((c) => c.startsWith('orchard_session='));
  assert.ok(raw, 'a session cookie is set');
  return { header: raw.split(';')[0] as string, raw };
}

for (const { engine, skip } of await engines()) {
  describe(`sign-in, sessions and CSRF on ${engine}`, { skip }, () => {
    let t: TestOrchard;
    const clock = new ManualClock();
    before(async () => {
      t = await startTestOrchard(engine, { clock });
    });
    after(() => t.close());

    const login = (email: string, password: string, ip = '10.0.0.1') =>
      t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: ip });

    test('signing in sets an HttpOnly SameSite cookie and returns the user and a CSRF token, never the password', async () => {
      const res = await login(TEST_ADMIN.email.toUpperCase(), TEST_ADMIN.password);
      assert.equal(res.statusCode, 200);
      const body = res.json();
      assert.equal(body.user.email, TEST_ADMIN.email);
      assert.equal(body.user.role, 'admin');
      assert.equal(typeof body.csrfToken, 'string');
      assert.doesNotMatch(res.body, /password|scrypt/i);
      const { raw } = sessionCookie(res);
      assert.match(raw, /HttpOnly/i);
      assert.match(raw, /SameSite=Lax/i);
      assert.doesNotMatch(raw, /Secure/i, 'plain-http development URL: no Secure flag, or the browser would drop it');
    });

    test('the cookie authenticates reads; writes need the CSRF header', async () => {
      const res = await login(TEST_ADMIN.email, TEST_ADMIN.password);
      const { header } = sessionCookie(res);
      const csrf = res.json().csrfToken as string;

      const me = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: header } });
      assert.equal(me.statusCode, 200);
      assert.equal(me.json().csrfToken, csrf);

      const noCsrf = await t.app.inject({
        method: 'POST',
        url: '/api/v1/customers',
        headers: { cookie: header },
        payload: { name: 'Forged' },
      });
      assert.equal(noCsrf.statusCode, 403);
      assert.equal(noCsrf.json().code, 'CSRF_FAILED');
      const wrongCsrf = await t.app.inject({
        method: 'POST',
        url: '/api/v1/customers',
        headers: { cookie: header, 'x-csrf-token': `${csrf}x` },
        payload: { name: 'Forged' },
      });
      assert.equal(wrongCsrf.statusCode, 403);
      assert.equal(
        (await t.api('GET', '/api/v1/customers?q=forged')).json().items.length,
        0,
        'the forged write stored nothing',
      );

      const ok = await t.app.inject({
        method: 'POST',
        url: '/api/v1/customers',
        headers: { cookie: header, 'x-csrf-token': csrf },
        payload: { name: 'Via the UI' },
      });
      assert.equal(ok.statusCode, 201);
    });

    test('signing out ends the session on the server, not just in the browser', async () => {
      const res = await login(TEST_ADMIN.email, TEST_ADMIN.password);
      const { header } = sessionCookie(res);
      const out = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/logout',
        headers: { cookie: header, 'x-csrf-token': res.json().csrfToken },
      });
      assert.equal(out.statusCode, 204);
      const replay = await t.app.inject({ method: 'GET', url: '/api/v1/customers', headers: { cookie: header } });
      assert.equal(replay.statusCode, 401);
    });

    test('sessions expire after 12 idle hours', async () => {
      const res = await login(TEST_ADMIN.email, TEST_ADMIN.password);
      const { header } = sessionCookie(res);
      clock.advance(11 * 3600_000);
      assert.equal(
        (await t.app.inject({ method: 'GET', url: '/api/v1/customers', headers: { cookie: header } })).statusCode,
        200,
      );
      clock.advance(11 * 3600_000);
      assert.equal(
        (await t.app.inject({ method: 'GET', url: '/api/v1/customers', headers: { cookie: header } })).statusCode,
        200,
        'use within the window slides the expiry',
      );
      clock.advance(13 * 3600_000);
      assert.equal(
        (await t.app.inject({ method: 'GET', url: '/api/v1/customers', headers: { cookie: header } })).statusCode,
        401,
      );
    });

    test('a wrong password gets 401 INVALID_CREDENTIALS; an unknown email gets the same answer', async () => {
      const wrong = await login(TEST_ADMIN.email, 'not the password at all', '10.0.0.2');
      const unknown = await login('nobody@example.com', 'not the password at all', '10.0.0.2');
      for (const res of [wrong, unknown]) {
        assert.equal(res.statusCode, 401);
        assert.equal(res.json().code, 'INVALID_CREDENTIALS');
        assert.equal(res.headers['set-cookie'], undefined);
      }
      assert.equal(wrong.json().detail, unknown.json().detail);
    });

    test('after 10 failures from one address the account is locked there for 15 minutes with 429 and Retry-After, even with the right password', async () => {
      const email = 'locked@example.com';
      await t.orchard.users.createUser({ email, password: 'the right password', role: 'admin' });
      for (let i = 0; i < 10; i++) assert.equal((await login(email, 'wrong password!', '10.2.0.1')).statusCode, 401);
      const locked = await login(email, 'the right password', '10.2.0.1');
      assert.equal(locked.statusCode, 429);
      assert.equal(locked.json().code, 'TOO_MANY_ATTEMPTS');
      assert.ok(Number(locked.headers['retry-after']) > 0);
      assert.match(locked.json().detail, /minute/);
      clock.advance(16 * 60_000);
      assert.equal((await login(email, 'the right password', '10.2.0.1')).statusCode, 200);
    });

    test('an API key records its use at most once a minute and is refused from the request after its revocation', async () => {
      const { key, apiKey } = await t.orchard.apiKeys.createFromShell({ name: 'revoke me' });
      const get = () =>
        t.app.inject({ method: 'GET', url: '/api/v1/customers', headers: { authorization: `Bearer ${key}` } });
      const lastUsedAt = async () =>
        (await t.orchard.apiKeys.list(COMMAND_LINE)).find((k) => k.id === apiKey.id)?.lastUsedAt;
      const first = await Promise.all([get(), get(), get()]);
      assert.deepEqual(
        first.map((r) => r.statusCode),
        [200, 200, 200],
      );
      const firstUse = clock.now().toISOString();
      assert.equal(await lastUsedAt(), firstUse);
      clock.advance(30_000);
      assert.equal((await get()).statusCode, 200);
      assert.equal(await lastUsedAt(), firstUse, 'not written again within the minute');
      clock.advance(31_000);
      assert.equal((await get()).statusCode, 200);
      assert.equal(await lastUsedAt(), clock.now().toISOString());

      await t.orchard.apiKeys.revokeFromShell(apiKey.id);
      const refused = await get();
      assert.equal(refused.statusCode, 401);
      assert.equal(refused.json().code, 'INVALID_API_KEY');
    });

    test('no password, API key, secret or master key is stored in clear text in the database', async () => {
      const created = await t.orchard.apiKeys.createFromShell({ name: 'scan me' });
      const secret = await t.orchard.secrets.put('test-secret', 'PRIVATE-KEY-MATERIAL-123456');
      assert.equal((await t.orchard.secrets.get(secret))?.toString(), 'PRIVATE-KEY-MATERIAL-123456');
      const everything = await dumpDatabase(t);
      assert.ok(everything.includes(Buffer.from(TEST_ADMIN.email)), 'the dump does hold the data (the check can fail)');
      const masterKey = t.config.masterKey.current as string;
      for (const needle of [TEST_ADMIN.password, TEST_API_KEY, created.key, 'PRIVATE-KEY-MATERIAL-123456', masterKey]) {
        assert.equal(
          everything.includes(Buffer.from(needle)),
          false,
          `"${needle.slice(0, 6)}…" is not in the database`,
        );
      }
    });
  });
}
