import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { migrateToLatest, openDb, type Db } from '../../src/store/db.js';
import { transactorOf } from '../../src/store/repositories/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/orchard.js';
import { postgresSkipReason } from '../helpers/services.js';

/**
 * Two transactions that take the same two rows in opposite orders: PostgreSQL aborts one of
 * them to break the deadlock (40P01). Through the transactor, the aborted one runs again and
 * both changes land; the caller sees no error.
 */
describe('transactions PostgreSQL aborts for a deadlock run again', { skip: await postgresSkipReason() }, () => {
  let database: TestDatabase;
  let db: Db;

  before(async () => {
    database = await createTestDatabase('postgres');
    db = openDb(loadConfig(database.env).database);
    await migrateToLatest(db);
    for (const id of ['one', 'two']) {
      await db.kysely
        .insertInto('customers')
        .values({ id, name: id, name_key: id, created_at: 'x', updated_at: 'x' } as never)
        .execute();
    }
  });
  after(async () => {
    await db.close();
    await database.drop();
  });

  test('both transactions commit', async () => {
    const transactor = transactorOf(db.kysely);
    let attempts = 0;
    let bothHoldTheirFirstRow: () => void = () => undefined;
    const barrier = new Promise<void>((resolve) => {
      let arrived = 0;
      bothHoldTheirFirstRow = () => {
        arrived += 1;
        if (arrived === 2) resolve();
      };
    });
    const run = (first: string, second: string, name: string) =>
      transactor.transaction(async (repos) => {
        attempts += 1;
        await repos.customers.rename(first, `${name} ${first}`, `${name} ${first}`, 'y');
        if (attempts <= 2) {
          bothHoldTheirFirstRow();
          await barrier;
        }
        await repos.customers.rename(second, `${name} ${second}`, `${name} ${second}`, 'y');
      });
    await Promise.all([run('one', 'two', 'A'), run('two', 'one', 'B')]);
    assert.equal(attempts, 3, 'one of the two ran again');
    const names = await db.kysely.selectFrom('customers').select('name').orderBy('id').execute();
    const writers = new Set(names.map((n) => n.name.split(' ')[0]));
    assert.equal(writers.size, 1, `the last transaction's names on both rows: ${names.map((n) => n.name).join(', ')}`);
  });
});
