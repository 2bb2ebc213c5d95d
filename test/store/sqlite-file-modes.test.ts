// Orchard's SQLite database and the sandbox's are readable by Orchard's own user only: the
// directory they create 0700, the database and its -wal and -shm files 0600, whatever the umask.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { openSandboxDb } from '../../src/sandbox/db.js';
import { migrateToLatest, openDb } from '../../src/store/db.js';

const modeOf = (file: string) => (fs.statSync(file).mode & 0o777).toString(8);

describe('SQLite file modes', { skip: process.platform === 'win32' ? 'POSIX modes' : false }, () => {
  let scratch: string;
  let umask: number;

  before(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-modes-'));
    // The usual umask would give SQLite's own default 0644; make it as permissive as possible.
    umask = process.umask(0o000);
  });
  after(() => {
    process.umask(umask);
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  test("Orchard's database: data dir 0700, orchard.db, -wal and -shm 0600 after a write", async () => {
    const dataDir = path.join(scratch, 'orchard', 'data');
    const file = path.join(dataDir, 'orchard.db');
    const db = openDb({ engine: 'sqlite', file });
    try {
      await migrateToLatest(db);
      await sql`select count(*) from customers`.execute(db.kysely);
      assert.equal(modeOf(dataDir), '700');
      assert.equal(modeOf(path.join(scratch, 'orchard')), '700', 'parents made on the way too');
      for (const name of ['orchard.db', 'orchard.db-wal', 'orchard.db-shm']) {
        assert.equal(modeOf(path.join(dataDir, name)), '600', name);
      }
    } finally {
      await db.close();
    }
  });

  test("the sandbox's database: sandbox.db, -wal and -shm 0600 in a 0700 data dir", () => {
    const dataDir = path.join(scratch, 'sandbox');
    const db = openSandboxDb(dataDir);
    try {
      db.prepare("INSERT INTO meta (key, value) VALUES ('probe', '1')").run();
      assert.equal(modeOf(dataDir), '700');
      for (const name of ['sandbox.db', 'sandbox.db-wal', 'sandbox.db-shm']) {
        assert.equal(modeOf(path.join(dataDir, name)), '600', name);
      }
    } finally {
      db.close();
    }
  });

  test('an existing database file is opened as it is, and its data is kept', async () => {
    const file = path.join(scratch, 'existing', 'orchard.db');
    const first = openDb({ engine: 'sqlite', file });
    await migrateToLatest(first);
    await first.close();
    const again = openDb({ engine: 'sqlite', file });
    try {
      const rows = await sql<{ n: number }>`select count(*) as n from kysely_migration`.execute(again.kysely);
      assert.ok((rows.rows[0]?.n ?? 0) > 0, 'migrations recorded before are still there');
    } finally {
      await again.close();
    }
  });
});
