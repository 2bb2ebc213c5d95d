// On SQLite, writes and transactions run on the writer's worker thread and reads on the main
// thread's own connection (src/store/sqlite-dialect.ts): what the API relies on while a sync
// writes, and what every repository relies on from any driver.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Kysely, sql, type Generated } from 'kysely';
import { unavailabilityOf, violationOf } from '../../src/store/errors.js';
import { orchardSqliteDialect } from '../../src/store/sqlite-dialect.js';
import { SqliteWriter } from '../../src/store/sqlite-writer.js';

interface Tables {
  parents: { id: Generated<number>; name: string };
  children: { id: Generated<number>; parent_id: number; data: Buffer | null };
  numbers: { n: number };
}

describe('SQLite: the writer on its own thread, reads on the main thread', () => {
  let dir: string;
  let db: Kysely<Tables>;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-writer-'));
    db = new Kysely<Tables>({ dialect: orchardSqliteDialect(path.join(dir, 'test.db')) });
    await sql`create table parents (id integer primary key, name text not null unique)`.execute(db);
    await sql`create table children (id integer primary key, parent_id integer not null references parents (id), data blob)`.execute(
      db,
    );
    await sql`create table numbers (n integer not null)`.execute(db);
  });

  after(async () => {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a long write leaves the event loop free: a timer runs while the statement is still running', async () => {
    let settled = false;
    // A million rows through a recursive CTE: far longer than one turn of the event loop.
    const write = sql`insert into numbers (n)
      with recursive seq (n) as (select 1 union all select n + 1 from seq where n < 1000000) select n from seq`
      .execute(db)
      .then(() => {
        settled = true;
      });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'the write ran on the main thread');
    // ...and a read answers meanwhile, from the last committed state (no numbers yet).
    const during = await db
      .selectFrom('numbers')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    assert.equal(settled, false);
    assert.equal(during.count, 0);
    await write;
    const afterwards = await db
      .selectFrom('numbers')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    assert.equal(afterwards.count, 1_000_000);
    await db.deleteFrom('numbers').execute();
  });

  test('a read outside an open transaction sees the last commit; inside, the transaction sees its own writes', async () => {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('parents').values({ name: 'Acme' }).execute();
      const own = await trx.selectFrom('parents').select('name').where('name', '=', 'Acme').executeTakeFirst();
      assert.deepEqual(own, { name: 'Acme' });
      const outside = await db.selectFrom('parents').select('name').where('name', '=', 'Acme').executeTakeFirst();
      assert.equal(outside, undefined);
    });
    const committed = await db.selectFrom('parents').select('name').where('name', '=', 'Acme').executeTakeFirst();
    assert.deepEqual(committed, { name: 'Acme' });
  });

  test('a transaction that throws leaves nothing behind, and the writer goes on serving', async () => {
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('parents').values({ name: 'Rolled back' }).execute();
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    assert.equal(
      await db.selectFrom('parents').select('id').where('name', '=', 'Rolled back').executeTakeFirst(),
      undefined,
    );
    await db.insertInto('parents').values({ name: 'After' }).execute();
    assert.ok(await db.selectFrom('parents').select('id').where('name', '=', 'After').executeTakeFirst());
  });

  test("the writer's errors keep SQLite's codes, which the store classifies", async () => {
    const duplicate = await db
      .insertInto('parents')
      .values({ name: 'Acme' })
      .execute()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    assert.equal(violationOf(duplicate), 'unique');
    const orphan = await db
      .insertInto('children')
      .values({ parent_id: 999_999, data: null })
      .execute()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    assert.equal(violationOf(orphan), 'foreign_key');
  });

  test('blobs go to the writer and come back, from either connection, as Buffers', async () => {
    const parent = await db.selectFrom('parents').select('id').where('name', '=', 'Acme').executeTakeFirstOrThrow();
    const written = await db
      .insertInto('children')
      .values({ parent_id: parent.id, data: Buffer.from([0, 1, 2, 255]) })
      .returning(['id', 'data'])
      .executeTakeFirstOrThrow();
    assert.ok(Buffer.isBuffer(written.data));
    assert.deepEqual([...(written.data ?? [])], [0, 1, 2, 255]);
    const read = await db.selectFrom('children').select('data').where('id', '=', written.id).executeTakeFirstOrThrow();
    assert.ok(Buffer.isBuffer(read.data));
    assert.deepEqual([...(read.data ?? [])], [0, 1, 2, 255]);
  });

  test('transactions from concurrent callers run one after the other, each whole', async () => {
    await db.deleteFrom('numbers').execute();
    await Promise.all(
      Array.from({ length: 8 }, (_, caller) =>
        db.transaction().execute(async (trx) => {
          const { count } = await trx
            .selectFrom('numbers')
            .select((eb) => eb.fn.countAll<number>().as('count'))
            .executeTakeFirstOrThrow();
          await new Promise((resolve) => setImmediate(resolve));
          // Each sees the rows of the callers before it, never half of one.
          assert.equal(count % 10, 0);
          await trx
            .insertInto('numbers')
            .values(Array.from({ length: 10 }, (__, i) => ({ n: caller * 10 + i })))
            .execute();
        }),
      ),
    );
    const { count } = await db
      .selectFrom('numbers')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    assert.equal(count, 80);
  });
});

describe('SQLite: a writer thread that ends is replaced', () => {
  let dir: string;
  let db: Kysely<Tables>;
  const started: SqliteWriter[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-writer-lost-'));
    // Keeps each thread it starts, so the test can end one mid-statement as a crash would.
    const startWriter = async (file: string) => {
      const writer = await SqliteWriter.start(file);
      started.push(writer);
      return writer;
    };
    db = new Kysely<Tables>({ dialect: orchardSqliteDialect(path.join(dir, 'test.db'), { startWriter }) });
    await sql`create table parents (id integer primary key, name text not null unique)`.execute(db);
  });

  after(async () => {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('what the thread owed fails as a lost connection (a 503), is rolled back, and the next write gets a new thread', async () => {
    const lost = await db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('parents').values({ name: 'Half done' }).execute();
        // A statement long enough to be under way when the thread ends.
        const long = sql`with recursive seq (n) as (select 1 union all select n + 1 from seq where n < 2000000)
          select count(*) from seq`.execute(trx);
        await new Promise((resolve) => setTimeout(resolve, 20));
        await started.at(-1)?.terminate();
        await long;
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    assert.ok(lost instanceof Error, 'the transaction should have failed');
    assert.equal(unavailabilityOf(lost), 'connection_lost');

    // The new thread's connection gets the write lock at once (the old one's was given back)
    // and finds nothing of the lost transaction.
    await db.insertInto('parents').values({ name: 'Afterwards' }).execute();
    assert.equal(started.length, 2, 'a second thread was started');
    const names = await db.selectFrom('parents').select('name').orderBy('name').execute();
    assert.deepEqual(names, [{ name: 'Afterwards' }]);
  });
});

test("SQLite: a file that is not a database fails the first query with SQLite's own error", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-writer-notadb-'));
  const file = path.join(dir, 'junk.db');
  fs.writeFileSync(file, Buffer.alloc(8192, 0x5a));
  const db = new Kysely<Tables>({ dialect: orchardSqliteDialect(file) });
  try {
    await assert.rejects(sql`select 1`.execute(db), { code: 'SQLITE_NOTADB', message: 'file is not a database' });
  } finally {
    await db.destroy().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
