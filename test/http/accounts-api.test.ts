// Accounts an MSP runs from the API: invitations and one-time password links, disabling users,
// never losing the last admin, each user's own password and sessions, API keys with an expiry
// and a read-only scope. Real HTTP requests (inject) against a real database on both engines.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { ManualClock, TEST_ADMIN, dumpDatabase, startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';
import { transactorOf } from '../../src/store/repositories/index.js';

const PASSWORD = 'a password for accounts tests';
const DAY = 24 * 60 * 60 * 1000;

for (const { engine, skip } of await engines()) {
  describe(`accounts on ${engine}`, { skip }, () => {
    let t: TestOrchard;
    const clock = new ManualClock(new Date());
    let n = 0;
    let customer = '';

    before(async () => {
      t = await startTestOrchard(engine, { clock });
      customer = (await t.api('POST', '/api/v1/customers', { name: 'Contoso' })).json().id;
    });
    after(() => t.close());

    const login = (email: string, password: string, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, headers });

    /** Signed in: the session cookie and CSRF token, for requests as a browser makes them. */
    async function signIn(email: string, password = PASSWORD, userAgent = 'Safari') {
      const res = await login(email, password, { 'user-agent': userAgent });
      assert.equal(res.statusCode, 200, res.body);
      const cookie = String(res.headers['set-cookie']).split(';')[0] ?? '';
      const csrf = res.json().csrfToken as string;
      return (method: string, url: string, body?: unknown): Promise<LightMyRequestResponse> =>
        t.app.inject({
          method: method as 'GET',
          url,
          headers: { cookie, 'x-csrf-token': csrf },
          ...(body === undefined ? {} : { payload: body as object }),
        });
    }

    async function newUser(role = 'technician', extra: Record<string, unknown> = {}) {
      const email = `user${(n += 1)}@example.com`;
      const res = await t.api('POST', '/api/v1/users', {
        email,
        role,
        customerIds: role === 'admin' ? [] : [customer],
        password: PASSWORD,
        ...extra,
      });
      assert.equal(res.statusCode, 201, res.body);
      return { id: res.json().user.id as string, email };
    }

    const tokenOf = (url: string) => new URL(url).hash.replace('#token=', '');

    test('an invited user chooses a password through its one-time link, then signs in; the link works once', async () => {
      const email = `invited${(n += 1)}@example.com`;
      const res = await t.api('POST', '/api/v1/users', { email, role: 'read_only', customerIds: [customer] });
      assert.equal(res.statusCode, 201, res.body);
      const { user, passwordLink } = res.json();
      assert.equal(user.passwordSet, false);
      assert.equal(passwordLink.purpose, 'invite');
      assert.match(passwordLink.url, /^http:\/\/localhost:\d+\/set-password#token=[\w-]{40,}$/);
      assert.equal((await login(email, PASSWORD)).statusCode, 401, 'no password yet: nothing signs in');

      const token = tokenOf(passwordLink.url);
      const weak = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password-link',
        payload: { token, password: 'short' },
      });
      assert.equal(weak.statusCode, 400);
      assert.equal(weak.json().field, 'password');
      const used = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password-link',
        payload: { token, password: PASSWORD },
      });
      assert.equal(used.statusCode, 204, used.body);
      assert.equal((await login(email, PASSWORD)).statusCode, 200);
      assert.equal((await t.api('GET', `/api/v1/users/${user.id}`)).json().passwordSet, true);

      const again = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password-link',
        payload: { token, password: 'another good password' },
      });
      assert.equal(again.statusCode, 404);
      assert.equal(again.json().code, 'LINK_INVALID');
      assert.equal((await login(email, PASSWORD)).statusCode, 200, 'the second use changed nothing');
    });

    test('a link expires; a new one replaces the old; neither is stored in clear', async () => {
      const email = `late${(n += 1)}@example.com`;
      const first = (await t.api('POST', '/api/v1/users', { email, role: 'technician' })).json();
      const reissued = await t.api('POST', `/api/v1/users/${first.user.id}/password-reset`);
      assert.equal(reissued.statusCode, 201, reissued.body);
      assert.equal(reissued.json().purpose, 'invite', 'still an invitation: no password was ever set');
      const dump = (await dumpDatabase(t)).toString('latin1');
      for (const url of [first.passwordLink.url, reissued.json().url]) assert.ok(!dump.includes(tokenOf(url)));

      const useOld = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password-link',
        payload: { token: tokenOf(first.passwordLink.url), password: PASSWORD },
      });
      assert.equal(useOld.statusCode, 404, 'the earlier link stopped working');
      clock.advance(7 * DAY + 1);
      const useLate = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password-link',
        payload: { token: tokenOf(reissued.json().url), password: PASSWORD },
      });
      assert.equal(useLate.statusCode, 404, 'an invitation lasts a week');
      assert.equal(useLate.json().code, 'LINK_INVALID');
    });

    test('disabling a user ends its open session and its API key at once; enabling does not bring the key back', async () => {
      const tech = await newUser();
      const browser = await signIn(tech.email);
      const key = (await t.api('POST', '/api/v1/api-keys', { name: 'psa', userId: tech.id })).json().key as string;
      const withKey = () => t.api('GET', '/api/v1/customers', undefined, { authorization: `Bearer ${key}` });
      assert.equal((await browser('GET', '/api/v1/customers')).statusCode, 200);
      assert.equal((await withKey()).statusCode, 200);

      const disabled = await t.api('PATCH', `/api/v1/users/${tech.id}`, { disabled: true });
      assert.equal(disabled.statusCode, 200, disabled.body);
      assert.ok(disabled.json().disabledAt);
      assert.equal((await browser('GET', '/api/v1/customers')).statusCode, 401);
      assert.equal((await withKey()).statusCode, 401);
      const refused = await login(tech.email, PASSWORD);
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.json().code, 'ACCOUNT_DISABLED');
      assert.equal((await login(tech.email, 'a wrong password here')).statusCode, 401, 'a guess learns nothing');

      assert.equal((await t.api('PATCH', `/api/v1/users/${tech.id}`, { disabled: false })).statusCode, 200);
      assert.equal((await login(tech.email, PASSWORD)).statusCode, 200);
      assert.equal((await withKey()).statusCode, 401, 'the revoked key stays revoked');
    });

    test('changing a technician’s customers changes what its open session sees at once', async () => {
      const other = (await t.api('POST', '/api/v1/customers', { name: `Fabrikam ${n}` })).json().id as string;
      const tech = await newUser();
      const browser = await signIn(tech.email);
      const names = async () =>
        ((await browser('GET', '/api/v1/customers')).json().items as { id: string }[]).map((c) => c.id);
      assert.deepEqual(await names(), [customer]);
      await t.api('PATCH', `/api/v1/users/${tech.id}`, { customerIds: [other] });
      assert.deepEqual(await names(), [other]);
      const unknown = await t.api('PATCH', `/api/v1/users/${tech.id}`, { customerIds: ['no-such-customer'] });
      assert.equal(unknown.statusCode, 400);
      assert.equal(unknown.json().field, 'customerIds');
    });

    test('the last admin who can sign in cannot be demoted, disabled or deleted', async () => {
      const admins = ((await t.api('GET', '/api/v1/users')).json().items as { id: string; role: string }[]).filter(
        (u) => u.role === 'admin',
      );
      assert.equal(admins.length, 1, 'only the bootstrap admin');
      const only = admins[0]?.id ?? '';
      for (const [method, body] of [
        ['PATCH', { role: 'technician' }],
        ['PATCH', { disabled: true }],
        ['DELETE', undefined],
      ] as const) {
        const res = await t.api(method, `/api/v1/users/${only}`, body);
        assert.equal(res.statusCode, 409, `${method} ${JSON.stringify(body)}: ${res.body}`);
        assert.equal(res.json().code, 'LAST_ADMIN');
      }
      assert.equal((await login(TEST_ADMIN.email, TEST_ADMIN.password)).statusCode, 200, 'still an admin');
      // An invited admin cannot sign in until it follows its link: it does not count yet.
      const invited = await t.api('POST', '/api/v1/users', {
        email: `invited-admin${(n += 1)}@example.com`,
        role: 'admin',
      });
      assert.equal(invited.statusCode, 201);
      const stillLast = await t.api('PATCH', `/api/v1/users/${only}`, { role: 'technician' });
      assert.equal(stillLast.statusCode, 409, stillLast.body);
      assert.equal(stillLast.json().code, 'LAST_ADMIN');
      await t.api('DELETE', `/api/v1/users/${invited.json().user.id}`);

      // Two admins demoting each other at the same moment: one of them must stay.
      const second = await newUser('admin');
      const [a, b] = await Promise.all([
        t.api('PATCH', `/api/v1/users/${only}`, { role: 'technician' }),
        t.api('PATCH', `/api/v1/users/${second.id}`, { role: 'technician' }),
      ]);
      assert.deepEqual([a.statusCode, b.statusCode].sort(), [200, 409]);
      const left = ((await t.api('GET', '/api/v1/users')).json().items as { role: string }[]).filter(
        (u) => u.role === 'admin',
      );
      assert.equal(left.length, 1);
      // Put the bootstrap admin back for the other tests.
      await t.api('PATCH', `/api/v1/users/${only}`, { role: 'admin' });
    });

    test('two transactions demoting the last two admins run one after the other, so the second sees none left', async () => {
      // Both demote, then both count, then both commit: without lockAdmins each counts the other
      // as still an admin and both succeed, leaving none. The first waits (up to 500 ms) for the
      // second to have demoted too; with the lock, the second cannot, so it counts after the commit.
      const a = await newUser('admin');
      const b = await newUser('admin');
      // Every other admin steps down for the moment: a and b are the last two.
      const others = ((await t.api('GET', '/api/v1/users')).json().items as { id: string; role: string }[])
        .filter((u) => u.role === 'admin' && u.id !== a.id && u.id !== b.id)
        .map((u) => u.id);
      for (const id of others) await t.api('PATCH', `/api/v1/users/${id}`, { role: 'technician' });
      const transactor = transactorOf(t.orchard.db.kysely);
      let firstDemoted = (): void => undefined;
      const firstDone = new Promise<void>((resolve) => (firstDemoted = resolve));
      let secondDemoted = (): void => undefined;
      const secondDone = new Promise<void>((resolve) => (secondDemoted = resolve));
      const demote = (id: string, demoted: () => void, other: Promise<void>) =>
        transactor.transaction(async (repos) => {
          await repos.users.lockAdmins();
          await repos.users.update(id, { role: 'technician' }, new Date().toISOString());
          demoted();
          await Promise.race([other, new Promise((resolve) => setTimeout(resolve, 500))]);
          return repos.users.countActiveAdmins();
        });
      const first = demote(a.id, firstDemoted, secondDone);
      await firstDone;
      const counted = await Promise.all([first, demote(b.id, secondDemoted, Promise.resolve())]);
      assert.deepEqual(counted, [1, 0], 'the second counted after the first had committed');
      for (const id of [a.id, b.id, ...others]) await t.api('PATCH', `/api/v1/users/${id}`, { role: 'admin' });
    });

    test('an admin’s reset link unlocks a user locked out by wrong passwords, and ends its sessions', async () => {
      const user = await newUser();
      const browser = await signIn(user.email);
      for (let i = 0; i < 10; i++) await login(user.email, 'wrong password, again');
      const locked = await login(user.email, PASSWORD);
      assert.equal(locked.statusCode, 429);
      assert.match(locked.json().detail, /ask an admin to reset your password/);

      const link = await t.api('POST', `/api/v1/users/${user.id}/password-reset`);
      assert.equal(link.statusCode, 201, link.body);
      assert.equal(link.json().purpose, 'reset');
      const newPassword = 'a brand new password for this user';
      const used = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/password-link',
        payload: { token: tokenOf(link.json().url), password: newPassword },
      });
      assert.equal(used.statusCode, 204, used.body);
      assert.equal((await browser('GET', '/api/v1/customers')).statusCode, 401, 'its sessions ended');
      assert.equal((await login(user.email, PASSWORD)).statusCode, 401, 'the old password is gone');
      assert.equal((await login(user.email, newPassword)).statusCode, 200, 'and the lockout with it');
    });

    test('a user lists its own sessions, ends one, ends all others, and changes its password', async () => {
      const user = await newUser();
      const phone = await signIn(user.email, PASSWORD, 'iPhone Safari');
      const laptop = await signIn(user.email, PASSWORD, 'Mac Firefox');
      const desk = await signIn(user.email, PASSWORD, 'Windows Edge');
      const listed = (await laptop('GET', '/api/v1/auth/sessions')).json().items as {
        id: string;
        current: boolean;
        userAgent: string;
        clientAddress: string;
      }[];
      assert.equal(listed.length, 3);
      assert.deepEqual(
        listed.filter((s) => s.current).map((s) => s.userAgent),
        ['Mac Firefox'],
      );
      assert.ok(listed.every((s) => s.clientAddress === '127.0.0.1'));

      const phoneId = listed.find((s) => s.userAgent === 'iPhone Safari')?.id ?? '';
      assert.equal((await laptop('DELETE', `/api/v1/auth/sessions/${phoneId}`)).statusCode, 204);
      assert.equal((await phone('GET', '/api/v1/customers')).statusCode, 401);
      const someoneElses = (
        await (
          await signIn(TEST_ADMIN.email, TEST_ADMIN.password)
        )('GET', '/api/v1/auth/sessions')
      ).json().items[0].id as string;
      assert.equal((await laptop('DELETE', `/api/v1/auth/sessions/${someoneElses}`)).statusCode, 404);

      const ended = await laptop('DELETE', '/api/v1/auth/sessions');
      assert.deepEqual(ended.json(), { ended: 1 });
      assert.equal((await desk('GET', '/api/v1/customers')).statusCode, 401);
      assert.equal((await laptop('GET', '/api/v1/customers')).statusCode, 200, 'the current one stays');

      const desk2 = await signIn(user.email);
      const wrong = await laptop('POST', '/api/v1/auth/password', {
        currentPassword: 'nope',
        newPassword: 'x'.repeat(20),
      });
      assert.equal(wrong.statusCode, 400);
      assert.equal(wrong.json().field, 'currentPassword');
      const changed = await laptop('POST', '/api/v1/auth/password', {
        currentPassword: PASSWORD,
        newPassword: 'the changed password of this user',
      });
      assert.equal(changed.statusCode, 204, changed.body);
      assert.equal((await desk2('GET', '/api/v1/customers')).statusCode, 401, 'other sessions ended');
      assert.equal((await laptop('GET', '/api/v1/customers')).statusCode, 200);
      assert.equal((await login(user.email, 'the changed password of this user')).statusCode, 200);
    });

    test('API keys: shown once, listed by prefix, expire, can be read-only, and stay within their user', async () => {
      const tech = await newUser();
      let browser = await signIn(tech.email);
      const created = await browser('POST', '/api/v1/api-keys', {
        name: 'reporting',
        readOnly: true,
        expiresAt: new Date(clock.now().getTime() + DAY).toISOString(),
      });
      assert.equal(created.statusCode, 201, created.body);
      const { apiKey, key } = created.json();
      assert.equal(apiKey.userEmail, tech.email);
      assert.equal(apiKey.readOnly, true);
      const asKey = (method: string, url: string, body?: unknown) =>
        t.api(method, url, body, { authorization: `Bearer ${key}` });

      const listed = await browser('GET', '/api/v1/api-keys');
      assert.ok(!listed.body.includes(key), 'the key itself is never listed');
      assert.deepEqual(
        (listed.json().items as { id: string }[]).map((k) => k.id),
        [apiKey.id],
        'a technician sees its own keys only',
      );
      assert.ok(
        ((await t.api('GET', '/api/v1/api-keys')).json().items as { id: string }[]).some((k) => k.id === apiKey.id),
      );

      assert.equal((await asKey('GET', '/api/v1/customers')).statusCode, 200);
      const write = await asKey('POST', `/api/v1/customers/${customer}/sites`, { name: 'Read-only attempt' });
      assert.equal(write.statusCode, 403);
      assert.equal(write.json().code, 'READ_ONLY');
      const widen = await asKey('POST', '/api/v1/api-keys', { name: 'escalate' });
      assert.equal(widen.statusCode, 403, 'a read-only key cannot make a key that writes');

      const forOther = await browser('POST', '/api/v1/api-keys', { name: 'theirs', userId: (await newUser()).id });
      assert.equal(forOther.statusCode, 403);
      assert.equal(forOther.json().code, 'FORBIDDEN');

      clock.advance(DAY + 1);
      assert.equal((await asKey('GET', '/api/v1/customers')).statusCode, 401, 'expired');
      // A day idle ended the session too (12 hours): sign in again.
      browser = await signIn(tech.email);
      const past = await browser('POST', '/api/v1/api-keys', { name: 'late', expiresAt: '2001-01-01T00:00:00Z' });
      assert.equal(past.statusCode, 400);
      assert.equal(past.json().field, 'expiresAt');

      const writer = (await browser('POST', '/api/v1/api-keys', { name: 'writer' })).json();
      const asWriter = (url: string) => t.api('GET', url, undefined, { authorization: `Bearer ${writer.key}` });
      assert.equal((await asWriter('/api/v1/customers')).statusCode, 200);
      assert.equal((await browser('DELETE', `/api/v1/api-keys/${writer.apiKey.id}`)).statusCode, 204);
      assert.equal((await asWriter('/api/v1/customers')).statusCode, 401, 'revoked at once');
    });

    test('technicians and read-only users manage no users', async () => {
      for (const role of ['technician', 'read_only']) {
        const user = await newUser(role);
        const browser = await signIn(user.email);
        const list = await browser('GET', '/api/v1/users');
        assert.equal(list.statusCode, 403, `${role}: ${list.body}`);
        const add = await browser('POST', '/api/v1/users', { email: `x${n}@example.com`, role: 'admin' });
        assert.equal(add.statusCode, 403);
        assert.equal(add.json().code, role === 'read_only' ? 'READ_ONLY' : 'FORBIDDEN');
        const me = await browser('GET', '/api/v1/auth/me');
        assert.deepEqual(me.json().user, { id: user.id, email: user.email, role, readOnly: role === 'read_only' });
      }
    });
  });
}
