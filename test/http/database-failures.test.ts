import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { openOrchard, type Orchard } from '../../src/app/orchard.js';
import { loadConfig } from '../../src/config/config.js';
import { buildApp } from '../../src/http/app.js';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { TEST_API_KEY, createTestDatabase, startTestOrchard, type TestOrchard } from '../helpers/orchard.js';
import { engines, postgresSkipReason, postgresUrl } from '../helpers/services.js';
import { tcpProxy, type TcpProxy } from '../helpers/tcp.js';

interface Served {
  readonly app: FastifyInstance;
  readonly orchard: Orchard;
  get(url: string): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** Orchard in front of a database it may not be able to use: no migration at open. */
async function serveWithout(env: Record<string, string>): Promise<Served> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-dbfail-'));
  const config = loadConfig({
    ORCHARD_DATA_DIR: dataDir,
    ORCHARD_MASTER_KEY: randomBytes(32).toString('base64'),
    ORCHARD_SANDBOX: '0',
    ...env,
  });
  const orchard = await openOrchard(config, { migrate: false });
  const app = await buildApp(orchard, { logger: false, webDist: path.join(dataDir, 'no-web') });
  return {
    app,
    orchard,
    get: (url) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TEST_API_KEY}` } }),
    close: async () => {
      await app.close();
      await orchard.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function assertUnavailable(res: LightMyRequestResponse, detail: RegExp): void {
  assert.equal(res.statusCode, 503, res.body);
  assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(res.json().code, 'DATABASE_UNAVAILABLE');
  assert.match(res.json().detail, detail);
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

async function newestMigration(): Promise<string> {
  const newest = Object.keys(await migrationProvider.getMigrations())
    .sort()
    .at(-1);
  assert.ok(newest !== undefined);
  return newest;
}

describe('a PostgreSQL that accepts connections and never answers', () => {
  let silent: TcpProxy;
  let served: Served;
  before(async () => {
    silent = await tcpProxy({ host: '127.0.0.1', port: 1 }, 'silent');
    served = await serveWithout({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${silent.port}/orchard`,
      ORCHARD_DB_CONNECT_TIMEOUT_SECONDS: '1',
    });
  });
  after(async () => {
    await served.close();
    await silent.close();
  });

  // The connect timeout is 1 s; the rest of the bound is for a busy test machine.
  test('API calls and /healthz answer 503 DATABASE_UNAVAILABLE within the connect timeout', async () => {
    const api = await timed(() => served.get('/api/v1/customers'));
    assertUnavailable(api.value, /did not answer in time/);
    assert.equal(api.value.headers['retry-after'], '5', 'a database that may come back says when to try again');
    assert.ok(api.ms >= 900 && api.ms < 4000, `answered after ${api.ms} ms`);
    const health = await timed(() => served.get('/healthz'));
    assertUnavailable(health.value, /did not answer in time/);
    assert.equal(health.value.headers['retry-after'], '5');
    assert.ok(health.ms >= 900 && health.ms < 4000, `answered after ${health.ms} ms`);
    assert.ok(silent.accepted >= 2, 'Orchard did try to connect');
  });

  test('more requests than the pool has connections all get their 503 in bounded time', async () => {
    const { value, ms } = await timed(() =>
      Promise.all(Array.from({ length: 25 }, (_, i) => served.get(i % 5 === 0 ? '/healthz' : '/api/v1/customers'))),
    );
    for (const res of value) assertUnavailable(res, /did not answer in time/);
    assert.ok(ms < 6000, `the last answered after ${ms} ms`);
  });
});

describe('PostgreSQL failing under a running Orchard', { skip: await postgresSkipReason() }, () => {
  test('a connection cut off mid-query answers 503 within the statement timeout, and the next request gets a fresh connection', async () => {
    const target = new URL(postgresUrl);
    const proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) }, 'forward');
    const database = await createTestDatabase('postgres');
    const url = new URL(database.env['DATABASE_URL'] ?? '');
    url.host = `127.0.0.1:${proxy.port}`;
    const t = await startTestOrchard('postgres', {
      database,
      env: { DATABASE_URL: url.toString(), ORCHARD_DB_STATEMENT_TIMEOUT_SECONDS: '1' },
    });
    try {
      assert.equal((await t.api('GET', '/api/v1/customers')).statusCode, 200);
      // Every connection open now goes dark, as in a network partition: no FIN, no RST.
      proxy.partition();
      const cut = await timed(() => t.api('GET', '/api/v1/customers'));
      assertUnavailable(cut.value, /did not answer in time/);
      assert.ok(cut.ms < 5000, `answered after ${cut.ms} ms`);
      // The stalled connection was thrown away rather than handed to the next request.
      const next = await timed(() => t.api('GET', '/api/v1/customers'));
      assert.equal(next.value.statusCode, 200, next.value.body);
      assert.ok(next.ms < 2000, `answered after ${next.ms} ms`);
    } finally {
      await t.close();
      await database.drop();
      await proxy.close();
    }
  });

  test('the schema dropped underneath answers 503 with what happened, on the API and /healthz', async () => {
    const t = await startTestOrchard('postgres');
    try {
      assert.equal((await t.api('GET', '/api/v1/customers')).statusCode, 200);
      const admin = new pg.Client({ connectionString: postgresUrl });
      await admin.connect();
      await admin.query(`drop schema ${t.database.schema ?? ''} cascade`);
      await admin.end();
      assertUnavailable(await t.api('GET', '/api/v1/customers'), /tables are missing/);
      assertUnavailable(await t.app.inject({ method: 'GET', url: '/healthz' }), /tables are missing/);
    } finally {
      await t.close();
    }
  });

  /**
   * A request whose query waits on a lock the test holds, so that the connection can be
   * ended while the query is in flight.
   */
  async function withRequestInFlight(t: TestOrchard, end: () => Promise<void>): Promise<LightMyRequestResponse> {
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    try {
      await admin.query('begin');
      await admin.query(`lock table ${t.database.schema ?? ''}.customers in access exclusive mode`);
      const pending = t.api('GET', '/api/v1/customers');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await end();
      return await pending;
    } finally {
      await admin.query('rollback');
      await admin.end();
    }
  }

  test('backends ended by pg_terminate_backend, idle or mid-query, cost no 500, and Orchard reconnects', async () => {
    const database = await createTestDatabase('postgres');
    const name = database.schema ?? '';
    const url = new URL(database.env['DATABASE_URL'] ?? '');
    url.searchParams.set('application_name', name);
    const t = await startTestOrchard('postgres', { database, env: { DATABASE_URL: url.toString() } });
    const terminate = async () => {
      const admin = new pg.Client({ connectionString: postgresUrl });
      await admin.connect();
      const ended = await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
        [name],
      );
      await admin.end();
      assert.ok((ended.rowCount ?? 0) >= 1, 'there were connections to end');
    };
    try {
      const midQuery = await withRequestInFlight(t, terminate);
      assertUnavailable(midQuery, /lost its connection to the database/);

      // Several connections in the pool, idle when the administrator ends them.
      await Promise.all(Array.from({ length: 5 }, () => t.api('GET', '/api/v1/customers')));
      await terminate();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const answers = await Promise.all(Array.from({ length: 8 }, () => t.api('GET', '/api/v1/customers')));
      for (const res of answers) assert.notEqual(res.statusCode, 500, res.body);
      assert.equal((await t.api('GET', '/api/v1/customers')).statusCode, 200);
    } finally {
      await t.close();
      await database.drop();
    }
  });

  test('a connection closed mid-query ("Connection terminated unexpectedly") answers 503, then Orchard reconnects', async () => {
    const target = new URL(postgresUrl);
    const proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) }, 'forward');
    const database = await createTestDatabase('postgres');
    const url = new URL(database.env['DATABASE_URL'] ?? '');
    url.host = `127.0.0.1:${proxy.port}`;
    const t = await startTestOrchard('postgres', { database, env: { DATABASE_URL: url.toString() } });
    try {
      assertUnavailable(await withRequestInFlight(t, async () => proxy.sever()), /lost its connection to the database/);
      assert.equal((await t.api('GET', '/api/v1/customers')).statusCode, 200);
    } finally {
      await t.close();
      await database.drop();
      await proxy.close();
    }
  });

  test('a database name that does not exist (3D000) answers 503 saying so', async () => {
    const url = new URL(postgresUrl);
    url.pathname = `/orchard_missing_${randomBytes(4).toString('hex')}`;
    const served = await serveWithout({ DATABASE_URL: url.toString() });
    try {
      const api = await served.get('/api/v1/customers');
      assertUnavailable(api, /does not exist/);
      assert.equal(api.headers['retry-after'], undefined, 'waiting does not create a database');
      assertUnavailable(await served.get('/healthz'), /does not exist/);
    } finally {
      await served.close();
    }
  });
});

for (const { engine, skip } of await engines()) {
  describe(`the schema under a running Orchard on ${engine}`, { skip }, () => {
    let t: TestOrchard;
    before(async () => {
      t = await startTestOrchard(engine);
    });
    after(() => t.close());

    test('/healthz is 200 while every migration the code knows is applied', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(res.statusCode, 200, res.body);
    });

    test('/healthz is 503 SCHEMA_OUT_OF_DATE when the newest migration the code knows is not applied', async () => {
      const newest = await newestMigration();
      const db = t.orchard.db.kysely;
      const row = await sql<{
        name: string;
        timestamp: string;
      }>`select name, timestamp from kysely_migration where name = ${newest}`.execute(db);
      await sql`delete from kysely_migration where name = ${newest}`.execute(db);
      try {
        const res = await t.app.inject({ method: 'GET', url: '/healthz' });
        assert.equal(res.statusCode, 503, res.body);
        assert.equal(res.json().code, 'SCHEMA_OUT_OF_DATE');
        assert.deepEqual(res.json().pendingMigrations, [newest]);
        assert.match(res.json().detail, new RegExp(`lacks migration ${newest}.*orchard migrate`));
      } finally {
        const { timestamp } = row.rows[0] ?? { timestamp: new Date().toISOString() };
        await sql`insert into kysely_migration (name, timestamp) values (${newest}, ${timestamp})`.execute(db);
      }
      assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    });

    test('/healthz stays 200 when the database has a migration this code does not know (a newer instance migrated)', async () => {
      const db = t.orchard.db.kysely;
      await sql`insert into kysely_migration (name, timestamp) values ('9999-from-the-future', ${new Date().toISOString()})`.execute(
        db,
      );
      try {
        assert.equal((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
      } finally {
        await sql`delete from kysely_migration where name = '9999-from-the-future'`.execute(db);
      }
    });

    test('a table gone from under the API answers 503 DATABASE_UNAVAILABLE saying the tables are missing, not a 500', async () => {
      await sql`alter table customers rename to customers_gone`.execute(t.orchard.db.kysely);
      try {
        assertUnavailable(await t.api('GET', '/api/v1/customers'), /tables are missing.*orchard migrate/);
      } finally {
        await sql`alter table customers_gone rename to customers`.execute(t.orchard.db.kysely);
      }
      assert.equal((await t.api('GET', '/api/v1/customers')).statusCode, 200);
    });
  });
}
