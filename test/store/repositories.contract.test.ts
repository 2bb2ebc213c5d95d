import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import { loadConfig } from '../../src/config/config.js';
import { migrateToLatest, openDb, type Db } from '../../src/store/db.js';
import { KyselyApiKeyRepository } from '../../src/store/repositories/api-keys.js';
import { KyselyCustomerRepository } from '../../src/store/repositories/customers.js';
import { KyselyLoginThrottleRepository } from '../../src/store/repositories/login-throttle.js';
import { KyselySecretRepository } from '../../src/store/repositories/secrets.js';
import { KyselySessionRepository } from '../../src/store/repositories/sessions.js';
import { KyselySiteRepository } from '../../src/store/repositories/sites.js';
import { KyselyUserRepository } from '../../src/store/repositories/users.js';
import type { Database } from '../../src/store/schema.js';
import { createTestDatabase, type TestDatabase } from '../helpers/orchard.js';
import { engines } from '../helpers/services.js';

/**
 * One storage contract, every engine: the same assertions against SQLite and PostgreSQL.
 * A repository that needs an engine-specific branch must show why here.
 */
for (const { engine, skip } of await engines()) {
  describe(`repositories on ${engine}`, { skip }, () => {
    let database: TestDatabase;
    let db: Db;
    let k: Kysely<Database>;
    const now = '2026-06-01T12:00:00.000Z';

    before(async () => {
      database = await createTestDatabase(engine);
      db = openDb(loadConfig(database.env).database);
      await migrateToLatest(db);
      k = db.kysely;
    });
    after(async () => {
      await db.close();
      await database.drop();
    });

    test('migrations are idempotent: a second run applies nothing', async () => {
      const results = await migrateToLatest(db);
      assert.deepEqual(results, []);
    });

    test('customers: insert, find, rename; names are unique by key', async () => {
      const repo = new KyselyCustomerRepository(k);
      const created = await repo.insert({ id: 'c-1', name: 'Acme', nameKey: 'acme', now });
      assert.notEqual(created, 'name_taken');
      assert.equal(await repo.insert({ id: 'c-2', name: 'ACME', nameKey: 'acme', now }), 'name_taken');
      assert.deepEqual(await repo.findById('c-1'), {
        id: 'c-1',
        name: 'Acme',
        siteCount: 0,
        createdAt: now,
        updatedAt: now,
      });
      await repo.insert({ id: 'c-3', name: 'Beta', nameKey: 'beta', now });
      assert.equal(await repo.rename('c-3', 'acme', 'acme', now), 'name_taken');
      assert.equal(await repo.rename('missing', 'x', 'x', now), 'not_found');
      const renamed = await repo.rename('c-3', 'Beta Ltd', 'beta ltd', '2026-06-02T00:00:00.000Z');
      assert.ok(typeof renamed === 'object');
      assert.equal(renamed.name, 'Beta Ltd');
      assert.equal(renamed.updatedAt, '2026-06-02T00:00:00.000Z');
      assert.equal((await repo.findById('c-1'))?.name, 'Acme', 'the refused rename changed nothing');
    });

    test('customers: keyset paging visits every row once, in name order, with search and scope', async () => {
      const repo = new KyselyCustomerRepository(k);
      const names = Array.from({ length: 23 }, (_, i) => `Paged ${String(i).padStart(2, '0')}`);
      for (const [i, name] of [...names].reverse().entries()) {
        await repo.insert({ id: `p-${i}`, name, nameKey: name.toLowerCase(), now });
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await repo.list({ limit: 5, search: 'paged', ...(cursor === undefined ? {} : { cursor }) });
        seen.push(...page.items.map((c) => c.name));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      assert.deepEqual(seen, names);

      const literal = await repo.list({ limit: 50, search: '%' });
      assert.deepEqual(literal.items, [], '% in a search is a literal character, not a wildcard');

      const scoped = await repo.list({ limit: 50, onlyIds: ['p-0', 'c-1'] });
      assert.deepEqual(scoped.items.map((c) => c.id).sort(), ['c-1', 'p-0']);
      assert.deepEqual((await repo.list({ limit: 50, onlyIds: [] })).items, []);
    });

    test('sites: unique per customer, counted on the customer, and they block its deletion', async () => {
      const customers = new KyselyCustomerRepository(k);
      const sites = new KyselySiteRepository(k);
      await customers.insert({ id: 's-c1', name: 'Site owner', nameKey: 'site owner', now });
      await customers.insert({ id: 's-c2', name: 'Other owner', nameKey: 'other owner', now });
      assert.notEqual(
        await sites.insert({ id: 's-1', customerId: 's-c1', name: 'Main', nameKey: 'main', now }),
        'name_taken',
      );
      assert.equal(
        await sites.insert({ id: 's-2', customerId: 's-c1', name: 'MAIN', nameKey: 'main', now }),
        'name_taken',
      );
      assert.notEqual(
        await sites.insert({ id: 's-3', customerId: 's-c2', name: 'Main', nameKey: 'main', now }),
        'name_taken',
      );
      assert.equal(
        await sites.insert({ id: 's-4', customerId: 'nope', name: 'X', nameKey: 'x', now }),
        'customer_not_found',
      );
      assert.equal((await customers.findById('s-c1'))?.siteCount, 1);

      assert.deepEqual(await customers.delete('s-c1'), { attached: { sites: 1 } });
      assert.ok(await customers.findById('s-c1'), 'a refused delete leaves the customer in place');
      assert.equal(await sites.delete('s-1'), 'deleted');
      assert.equal(await sites.delete('s-1'), 'not_found');
      assert.equal(await customers.delete('s-c1'), 'deleted');
      assert.equal(await customers.delete('s-c1'), 'not_found');

      const page = await sites.listByCustomer('s-c2', { limit: 10 });
      assert.deepEqual(
        page.items.map((s) => s.id),
        ['s-3'],
      );
    });

    test('users: email unique, technicians keep their customer list', async () => {
      const customers = new KyselyCustomerRepository(k);
      await customers.insert({ id: 'u-c1', name: 'Tech customer', nameKey: 'tech customer', now });
      const users = new KyselyUserRepository(k);
      const base = { passwordHash: 'scrypt$x', now };
      const tech = await users.insert({
        id: 'u-1',
        email: 'Tech@Example.com',
        emailKey: 'tech@example.com',
        role: 'technician',
        customerIds: ['u-c1'],
        ...base,
      });
      assert.notEqual(tech, 'email_taken');
      assert.equal(
        await users.insert({
          id: 'u-2',
          email: 'tech@example.com',
          emailKey: 'tech@example.com',
          role: 'admin',
          customerIds: [],
          ...base,
        }),
        'email_taken',
      );
      assert.equal(await users.findById('u-2'), undefined, 'the refused insert left no half-made user');
      const found = await users.findByEmailKey('tech@example.com');
      assert.equal(found?.email, 'Tech@Example.com');
      assert.deepEqual(found?.customerIds, ['u-c1']);
      assert.equal(found?.passwordHash, 'scrypt$x');
      assert.ok((await users.count()) >= 1);
    });

    test('sessions: found only while live; expired ones are purged', async () => {
      const users = new KyselyUserRepository(k);
      await users.insert({
        id: 'sess-u',
        email: 's@example.com',
        emailKey: 's@example.com',
        role: 'admin',
        customerIds: [],
        passwordHash: 'h',
        now,
      });
      const sessions = new KyselySessionRepository(k);
      await sessions.insert({
        id: 'sess-1',
        tokenHash: 'hash-1',
        userId: 'sess-u',
        now,
        expiresAt: '2026-06-01T13:00:00.000Z',
        clientAddress: '192.0.2.7',
        userAgent: 'Safari',
      });
      assert.equal((await sessions.findLiveByHash('hash-1', now))?.userId, 'sess-u');
      assert.equal(await sessions.findLiveByHash('hash-1', '2026-06-01T13:00:00.000Z'), undefined);
      await sessions.extend('sess-1', now, '2026-06-01T20:00:00.000Z');
      assert.ok(await sessions.findLiveByHash('hash-1', '2026-06-01T19:00:00.000Z'));
      assert.equal(await sessions.deleteExpired('2026-06-02T00:00:00.000Z'), 1);
      assert.equal(await sessions.findLiveByHash('hash-1', now), undefined);
    });

    test('api keys: found by hash until revoked, by id or prefix', async () => {
      const keys = new KyselyApiKeyRepository(k);
      await keys.insert({
        id: 'k-1',
        name: 'PSA',
        prefix: 'orch_abcdefg',
        keyHash: 'kh-1',
        userId: null,
        now,
        expiresAt: null,
        readOnly: false,
      });
      assert.equal((await keys.findActiveByHash('kh-1', now))?.id, 'k-1');
      assert.equal(await keys.existsWithHash('kh-1'), true);
      const revoked = await keys.revoke('orch_abcdefg', now);
      assert.deepEqual(
        revoked.map((r) => r.id),
        ['k-1'],
      );
      assert.equal(await keys.findActiveByHash('kh-1', now), undefined);
      assert.deepEqual(await keys.revoke('k-1', now), [], 'revoking twice revokes nothing');
    });

    test('login throttle: reservations admit up to the limit, lock in the same statement, and back off', async () => {
      const throttle = new KyselyLoginThrottleRepository(k);
      const at = (minutes: number) => new Date(Date.parse(now) + minutes * 60_000).toISOString();
      const rule = (minutes: number) => ({
        now: at(minutes),
        maxFailures: 3,
        windowStartedBefore: at(minutes - 15),
        lockEndedBefore: at(minutes - 24 * 60),
        lockUntil: [at(minutes + 15), at(minutes + 30)] as [string, string],
      });
      const admitted = async (minutes: number) => (await throttle.reserve('pair', rule(minutes))).admitted;

      assert.deepEqual(await throttle.reserve('pair', rule(0)), {
        admitted: true,
        state: { failures: 1, windowStartedAt: now, lockedUntil: null },
      });
      assert.equal(await admitted(1), true);
      assert.deepEqual(
        await throttle.reserve('pair', rule(2)),
        {
          admitted: true,
          state: { failures: 3, windowStartedAt: now, lockedUntil: at(17) },
        },
        'the attempt that reaches the limit is let in and sets the lock',
      );
      assert.deepEqual(
        await throttle.reserve('pair', rule(3)),
        {
          admitted: false,
          state: { failures: 3, windowStartedAt: now, lockedUntil: at(17) },
        },
        'a refusal changes nothing',
      );
      assert.deepEqual(
        await throttle.reserve('pair', rule(18)),
        {
          admitted: true,
          state: { failures: 4, windowStartedAt: now, lockedUntil: at(48) },
        },
        'one more try once the lock runs out, which locks for the next, longer step',
      );
      assert.equal(await admitted(49), true);
      assert.equal((await throttle.get('pair'))?.lockedUntil, at(79), 'the last step repeats');

      await throttle.release('pair', rule(50));
      assert.deepEqual(await throttle.get('pair'), { failures: 4, windowStartedAt: now, lockedUntil: at(50) });
      assert.equal(await admitted(51), true, 'a taken-back attempt leaves the run-out lock open for one try');
      assert.equal(await admitted(52), false);

      assert.equal(await admitted(24 * 60 + 82), true, 'a day after the lock ran out, the run starts over');
      assert.deepEqual(await throttle.get('pair'), {
        failures: 1,
        windowStartedAt: at(24 * 60 + 82),
        lockedUntil: null,
      });
      await throttle.clear('pair');
      assert.equal(await throttle.get('pair'), undefined);

      await throttle.reserve('window', rule(0));
      await throttle.reserve('window', rule(1));
      await throttle.release('window', rule(1));
      assert.equal((await throttle.get('window'))?.failures, 1, 'release takes back one attempt');
      await throttle.reserve('window', rule(15));
      assert.deepEqual(
        await throttle.get('window'),
        { failures: 1, windowStartedAt: at(15), lockedUntil: null },
        'failures that never reached a lock are forgotten a window after the first',
      );
    });

    test('login throttle: of 50 concurrent reservations exactly the limit are admitted, none lost', async () => {
      const throttle = new KyselyLoginThrottleRepository(k);
      const rule = {
        now,
        maxFailures: 10,
        windowStartedBefore: '2026-06-01T11:45:00.000Z',
        lockEndedBefore: '2026-05-31T12:00:00.000Z',
        lockUntil: ['2026-06-01T12:15:00.000Z'] as [string],
      };
      const results = await Promise.all(Array.from({ length: 50 }, () => throttle.reserve('busy', rule)));
      assert.equal(results.filter((r) => r.admitted).length, 10);
      assert.deepEqual(await throttle.get('busy'), {
        failures: 10,
        windowStartedAt: now,
        lockedUntil: rule.lockUntil[0],
      });
    });

    test('secrets: stored sealed, listed by key id, swapped only if unchanged', async () => {
      const secrets = new KyselySecretRepository(k);
      await secrets.insert({ id: 'sec-1', purpose: 'test', sealed: 'v1.old.a.b', keyId: 'old', now });
      await secrets.insert({ id: 'sec-2', purpose: 'test', sealed: 'v1.new.a.b', keyId: 'new', now });
      assert.deepEqual(
        (await secrets.listNotUnderKey('new', '', 10)).map((s) => s.id),
        ['sec-1'],
      );
      assert.equal(
        await secrets.replaceSealed('sec-1', 'v1.stale', { sealed: 'v1.new.c.d', keyId: 'new', now }),
        false,
      );
      assert.equal(
        await secrets.replaceSealed('sec-1', 'v1.old.a.b', { sealed: 'v1.new.c.d', keyId: 'new', now }),
        true,
      );
      assert.deepEqual(await secrets.listNotUnderKey('new', '', 10), []);
      assert.equal(await secrets.delete('sec-1'), true);
      assert.equal(await secrets.findById('sec-1'), undefined);
    });
  });
}
