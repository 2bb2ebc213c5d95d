// The SQLite connection behaves the same on every supported Node.js: better-sqlite3 on 20 and
// 22, node:sqlite behind an adapter on 24 (CI runs this suite on both). Each case is a
// better-sqlite3 behaviour some Orchard or sandbox code relies on.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { violationOf } from '../../src/store/errors.js';
import { SQLITE_DRIVER, openSqliteDatabase, type SqliteDatabase } from '../../src/store/sqlite-driver.js';

describe(`SQLite driver (${SQLITE_DRIVER} on Node ${process.versions.node})`, () => {
  let dir: string;
  let db: SqliteDatabase;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-sqlite-'));
    db = openSqliteDatabase(path.join(dir, 'test.db'));
    db.pragma('foreign_keys = ON');
    db.exec(`
      CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
      CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parents (id), data BLOB);
    `);
  });

  after(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the driver is the one chosen for this Node.js: node:sqlite from 24 on, where better-sqlite3 12 aborts', () => {
    const major = Number(process.versions.node.split('.')[0]);
    assert.equal(SQLITE_DRIVER, major >= 24 ? 'node:sqlite' : 'better-sqlite3');
  });

  test('rows are plain objects, blobs are Buffers, a missing row is undefined', () => {
    const { lastInsertRowid } = db.prepare('INSERT INTO parents (name) VALUES (?)').run('Acme');
    db.prepare('INSERT INTO children (parent_id, data) VALUES (?, ?)').run(lastInsertRowid, Buffer.from('hi'));
    const row = db.prepare('SELECT name FROM parents WHERE id = ?').get(lastInsertRowid);
    assert.deepStrictEqual(row, { name: 'Acme' });
    const child = db.prepare('SELECT data FROM children WHERE parent_id = ?').get(lastInsertRowid) as { data: Buffer };
    assert.ok(Buffer.isBuffer(child.data));
    assert.equal(child.data.toString(), 'hi');
    assert.equal(db.prepare('SELECT name FROM parents WHERE id = ?').get(-1), undefined);
  });

  test('parameters come as values, as one array (as Kysely passes them) or as named values', () => {
    const byArray = db.prepare('SELECT ? AS a, ? AS b').get(['x', 2]);
    assert.deepStrictEqual(byArray, { a: 'x', b: 2 });
    const byNamed = db.prepare('SELECT @a AS a, :b AS b').get({ a: 'y', b: 3 });
    assert.deepStrictEqual(byNamed, { a: 'y', b: 3 });
    assert.deepStrictEqual(
      [...db.prepare('SELECT value FROM json_each(?)').iterate('[1,2]')],
      [{ value: 1 }, { value: 2 }],
    );
  });

  test('reader says whether a statement returns rows; raw() gives arrays; pragma(simple) one value', () => {
    assert.equal(db.prepare('SELECT 1').reader, true);
    assert.equal(db.prepare('UPDATE parents SET name = name').reader, false);
    assert.deepStrictEqual(db.prepare("SELECT 1 AS a, 'b' AS b").raw(true).all(), [[1, 'b']]);
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  });

  test('a transaction commits, rolls back on a throw, and nests as a savepoint', () => {
    const insert = db.prepare('INSERT INTO parents (name) VALUES (?)');
    const count = () => (db.prepare('SELECT count(*) AS n FROM parents').get() as { n: number }).n;
    const before = count();
    const both = db.transaction((a: string, b: string) => {
      insert.run(a);
      insert.run(b);
    });
    both('T1', 'T2');
    assert.equal(count(), before + 2);
    assert.throws(() => both('T3', 'T1'));
    assert.equal(count(), before + 2, 'the failed pair left nothing behind');

    const outer = db.transaction(() => {
      insert.run('T4');
      try {
        both('T5', 'T2');
      } catch {
        // the inner savepoint rolled back alone
      }
    });
    outer();
    assert.equal(count(), before + 3);
  });

  test("errors carry better-sqlite3's SQLite codes, which store/errors.ts reads", () => {
    assert.throws(
      () => db.prepare('INSERT INTO parents (name) VALUES (?)').run('Acme'),
      (error: unknown) => violationOf(error) === 'unique',
    );
    assert.throws(
      () => db.prepare('INSERT INTO children (parent_id) VALUES (?)').run(999_999),
      (error: unknown) => violationOf(error) === 'foreign_key',
    );
    assert.throws(
      () => db.prepare("DELETE FROM parents WHERE name = 'Acme'").run(),
      (error: unknown) => violationOf(error) === 'foreign_key',
    );
    assert.throws(
      () => db.prepare('SELECT * FROM no_such_table'),
      (error: unknown) => (error as { code?: string }).code === 'SQLITE_ERROR' && /no such table/.test(String(error)),
    );
  });
});

test('only the driver module loads better-sqlite3, so a Node 24 process never loads the addon that aborts there', () => {
  const root = path.resolve(import.meta.dirname, '../..');
  const sources = ['src', 'test', 'bench', 'scripts'].flatMap((dir) =>
    fs
      .readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.(ts|tsx|mjs|js)$/.test(file))
      .map((file) => path.join(dir, file)),
  );
  const importers = sources.filter((file) =>
    /from ['"]better-sqlite3['"]|require\(['"]better-sqlite3['"]\)/.test(
      fs.readFileSync(path.join(root, file), 'utf8'),
    ),
  );
  assert.deepEqual(importers, [path.join('src', 'store', 'sqlite-driver.ts')]);
});
