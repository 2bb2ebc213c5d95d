import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { throttleSubjects } from '../../src/domain/accounts.js';
import { KyselyLoginThrottleRepository } from '../../src/store/repositories/login-throttle.js';
import { ManualClock, startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';

const PASSWORD = 'the right password';
const WRONG = 'not the password!';

function statuses(responses: readonly LightMyRequestResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const res of responses) counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1;
  return counts;
}

for (const { engine, skip } of await engines()) {
  describe(`sign-in throttling on ${engine}`, { skip }, () => {
    let direct: TestOrchard;
    let behindProxy: TestOrchard;
    const clock = new ManualClock();
    let nextUser = 0;

    before(async () => {
      // Production, where the old default trusted every X-Forwarded-For; ORCHARD_TRUST_PROXY unset.
      const production = { NODE_ENV: 'production', ORCHARD_PUBLIC_URL: 'https://orchard.example.com' };
      direct = await startTestOrchard(engine, { clock, env: production });
      // One proxy in front (a load balancer): it appends the address it saw to X-Forwarded-For.
      behindProxy = await startTestOrchard(engine, { clock, env: { ...production, ORCHARD_TRUST_PROXY: '1' } });
    });
    after(async () => {
      await direct?.close();
      await behindProxy?.close();
    });

    async function newUser(t: TestOrchard): Promise<string> {
      const email = `user${(nextUser += 1)}@example.com`;
      await t.orchard.users.createUser({ email, password: PASSWORD, role: 'admin' });
      return email;
    }

    const login = (
      t: TestOrchard,
      email: string,
      password: string,
      remoteAddress: string,
      headers: Record<string, string> = {},
    ) =>
      t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress, headers });

    async function failures(t: TestOrchard, subject: string): Promise<number | undefined> {
      return (await new KyselyLoginThrottleRepository(t.orchard.db.kysely).get(subject))?.failures;
    }

    test('of 100 concurrent wrong passwords for one account from one address, 10 are answered 401 and 90 get 429 with Retry-After; exactly 10 failures are stored', async () => {
      const email = await newUser(direct);
      const responses = await Promise.all(
        Array.from({ length: 100 }, () => login(direct, email, WRONG, '198.51.100.7')),
      );
      assert.deepEqual(statuses(responses), { 401: 10, 429: 90 });
      for (const res of responses.filter((r) => r.statusCode === 429)) {
        assert.equal(res.json().code, 'TOO_MANY_ATTEMPTS');
        assert.ok(Number(res.headers['retry-after']) > 0, 'Retry-After says when to come back');
      }
      const subjects = throttleSubjects(email, '198.51.100.7');
      assert.equal(await failures(direct, subjects.fromAddress), 10);
      assert.equal(
        await failures(direct, subjects.account),
        10,
        'refused attempts are not counted against the account',
      );
      assert.equal(
        (await login(direct, email, PASSWORD, '198.51.100.7')).statusCode,
        429,
        'the locked address is refused even with the right password',
      );
    });

    test("an attacker's address locked out of an account does not lock out the real user at another address", async () => {
      const email = await newUser(direct);
      for (let i = 0; i < 10; i++) assert.equal((await login(direct, email, WRONG, '203.0.113.66')).statusCode, 401);
      const attacker = await login(direct, email, PASSWORD, '203.0.113.66');
      assert.equal(attacker.statusCode, 429);
      assert.match(attacker.json().detail, /15 minutes/);
      assert.equal((await login(direct, email, PASSWORD, '192.0.2.10')).statusCode, 200);
    });

    test("the right password clears that address's count, not the account's", async () => {
      const email = await newUser(direct);
      for (let i = 0; i < 6; i++) await login(direct, email, WRONG, '192.0.2.20');
      for (let i = 0; i < 3; i++) await login(direct, email, WRONG, '203.0.113.20');
      assert.equal((await login(direct, email, PASSWORD, '192.0.2.20')).statusCode, 200);
      assert.equal(await failures(direct, throttleSubjects(email, '192.0.2.20').fromAddress), undefined);
      assert.equal(await failures(direct, throttleSubjects(email, '203.0.113.20').fromAddress), 3);
      assert.equal(await failures(direct, throttleSubjects(email, '').account), 9, 'the sign-in itself is no failure');
    });

    test('with no proxy trusted, a client-written X-Forwarded-For neither resets nor spreads the count', async () => {
      const email = await newUser(direct);
      const responses = [];
      for (let i = 0; i < 12; i++) {
        responses.push(await login(direct, email, WRONG, '203.0.113.5', { 'x-forwarded-for': `10.${i}.0.1` }));
      }
      assert.deepEqual(statuses(responses), { 401: 10, 429: 2 });
      assert.equal(await failures(direct, throttleSubjects(email, '203.0.113.5').fromAddress), 10);
      assert.equal(await failures(direct, throttleSubjects(email, '10.0.0.1').fromAddress), undefined);
    });

    test('behind one trusted proxy only the rightmost X-Forwarded-For entry counts, whatever the client put before it', async () => {
      const email = await newUser(behindProxy);
      const responses = [];
      for (let i = 0; i < 12; i++) {
        // The client wrote the first entries; the proxy (127.0.0.1, the socket peer) appended the last.
        const spoofed = i % 2 === 0 ? `10.${i}.0.1` : `10.${i}.0.1, 10.${i}.0.2`;
        responses.push(
          await login(behindProxy, email, WRONG, '127.0.0.1', { 'x-forwarded-for': `${spoofed}, 203.0.113.9` }),
        );
      }
      assert.deepEqual(statuses(responses), { 401: 10, 429: 2 });
      assert.equal(await failures(behindProxy, throttleSubjects(email, '203.0.113.9').fromAddress), 10);
      assert.equal(await failures(behindProxy, throttleSubjects(email, '127.0.0.1').fromAddress), undefined);
      const realUser = await login(behindProxy, email, PASSWORD, '127.0.0.1', {
        'x-forwarded-for': '203.0.113.9, 192.0.2.30',
      });
      assert.equal(realUser.statusCode, 200, 'another client behind the same proxy signs in');
    });

    test('spraying one account from many addresses reaches the slower account-wide limit, which locks it everywhere for a while', async () => {
      const email = await newUser(direct);
      const address = (i: number) => `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`;
      const spray = await Promise.all(Array.from({ length: 100 }, (_, i) => login(direct, email, WRONG, address(i))));
      assert.deepEqual(statuses(spray), { 401: 100 }, 'each address is far below its own limit');
      assert.equal(await failures(direct, throttleSubjects(email, '').account), 100);

      assert.equal((await login(direct, email, WRONG, address(100))).statusCode, 429);
      const realUser = await login(direct, email, PASSWORD, '192.0.2.40');
      assert.equal(realUser.statusCode, 429, 'the account-wide lock holds for every address');
      assert.equal(realUser.json().code, 'TOO_MANY_ATTEMPTS');
      const retryAfter = Number(realUser.headers['retry-after']);
      assert.ok(retryAfter > 0 && retryAfter <= 5 * 60, `a short first lock (Retry-After ${retryAfter})`);
      assert.equal(await failures(direct, throttleSubjects(email, '').account), 100, 'refusals add nothing');

      clock.advance(6 * 60_000);
      assert.equal((await login(direct, email, PASSWORD, '192.0.2.40')).statusCode, 200);
    });

    test('housekeeping deletes throttle rows every policy has forgotten and expired sessions, and keeps what still counts', async () => {
      const own = new ManualClock();
      const t = await startTestOrchard(engine, { clock: own });
      try {
        const email = await newUser(t);
        const mistyped = throttleSubjects(email, '192.0.2.50');
        const locked = throttleSubjects(email, '198.51.100.60');
        for (let i = 0; i < 2; i++) assert.equal((await login(t, email, WRONG, '192.0.2.50')).statusCode, 401);
        for (let i = 0; i < 10; i++) assert.equal((await login(t, email, WRONG, '198.51.100.60')).statusCode, 401);
        assert.equal((await login(t, email, PASSWORD, '203.0.113.70')).statusCode, 200);
        const rows = async () => ({
          mistyped: await failures(t, mistyped.fromAddress),
          locked: await failures(t, locked.fromAddress),
          account: await failures(t, mistyped.account),
        });

        assert.deepEqual(await t.orchard.accounts.purgeStale(), { sessions: 0, throttleRows: 0 });
        own.advance(2 * 60 * 60_000);
        assert.equal((await t.orchard.accounts.purgeStale()).throttleRows, 2, 'runs that never locked are gone');
        assert.deepEqual(await rows(), { mistyped: undefined, locked: 10, account: undefined });
        // The lock ran out, but the count is remembered: one more try, then a lock twice as long.
        assert.equal((await login(t, email, WRONG, '198.51.100.60')).statusCode, 401);
        const relocked = await login(t, email, WRONG, '198.51.100.60');
        assert.equal(relocked.statusCode, 429);
        assert.ok(Number(relocked.headers['retry-after']) > 15 * 60, 'the second lock is longer than the first');

        own.advance(26 * 60 * 60_000);
        assert.deepEqual(await t.orchard.accounts.purgeStale(), { sessions: 1, throttleRows: 2 });
        assert.deepEqual(await rows(), { mistyped: undefined, locked: undefined, account: undefined });
        assert.equal((await login(t, email, PASSWORD, '198.51.100.60')).statusCode, 200);
      } finally {
        await t.close();
      }
    });
  });
}
