import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../../src/config/config.js';
import { migrateToLatest, openDb, pendingMigrations } from '../../src/store/db.js';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/orchard.js';
import { postgresSkipReason, postgresUrl } from '../helpers/services.js';

describe('migrations on PostgreSQL', { skip: await postgresSkipReason() }, () => {
  let neighbour: TestDatabase;
  let ours: TestDatabase;
  before(async () => {
    neighbour = await createTestDatabase('postgres');
    ours = await createTestDatabase('postgres');
  });
  after(async () => {
    await ours.drop();
    await neighbour.drop();
  });

  test('another schema of the same database holding Kysely migration tables does not confuse ours', async () => {
    // What a second Kysely app (or a parallel test run) leaves in the same database.
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(
      `create table ${neighbour.schema}.kysely_migration (name varchar(255) primary key, timestamp varchar(255) not null)`,
    );
    await client.query(
      `create table ${neighbour.schema}.kysely_migration_lock (id varchar(255) primary key, is_locked integer not null default 0)`,
    );
    await client.query(`insert into ${neighbour.schema}.kysely_migration values ('0001-foundation', 'x')`);
    await client.end();

    const db = openDb(loadConfig(ours.env).database);
    try {
      const results = await migrateToLatest(db);
      assert.deepEqual(
        results.map((r) => [r.migrationName, r.status]),
        // Every migration this code knows, each applied once, in order.
        Object.keys(await migrationProvider.getMigrations())
          .sort()
          .map((name) => [name, 'Success']),
      );
    } finally {
      await db.close();
    }
  });

  test('other schemas created and dropped meanwhile do not fail a migration or its checks', async () => {
    // What another app, or another run's tests, does to the same database. Kysely's own
    // introspector failed about a third of its calls under this ("schema … does not exist").
    const churn = new pg.Client({ connectionString: postgresUrl });
    await churn.connect();
    let churning = true;
    const churned = (async () => {
      for (let i = 0; churning; i++) {
        const name = `${ours.schema}_churn_${i % 8}`;
        await churn.query(`create schema ${name}; create table ${name}.t (a int)`);
        await churn.query(`drop schema ${name} cascade`);
      }
    })();
    const fresh = await createTestDatabase('postgres');
    const db = openDb(loadConfig(fresh.env).database);
    try {
      const known = Object.keys(await migrationProvider.getMigrations()).length;
      assert.equal((await migrateToLatest(db)).length, known);
      for (let i = 0; i < 40; i++) {
        // Each run checks for the migration tables and the lock row again, and applies nothing.
        assert.deepEqual(await migrateToLatest(db), []);
      }
      assert.deepEqual(await pendingMigrations(db), []);
    } finally {
      churning = false;
      await churned;
      await churn.end();
      await db.close();
      await fresh.drop();
    }
  });
});
