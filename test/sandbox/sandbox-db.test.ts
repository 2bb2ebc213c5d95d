// Two processes opening a new sandbox.db at once (`orchard serve` with ORCHARD_PROCESSES=2 in
// sandbox mode): the one that finds the file locked waits its turn instead of failing with BUSY.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { openSandboxDb } from '../../src/sandbox/db.js';

/**
 * Another connection, on its own thread, holding the file's exclusive lock for `ms`. It is
 * opened by Orchard's SQLite driver, the one module that picks better-sqlite3 or node:sqlite.
 */
const DRIVER = new URL('../../src/store/sqlite-driver.ts', import.meta.url).href;
const HOLDER = `
const { parentPort, workerData } = require('node:worker_threads');
import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then(({ register }) => { register(); return import(${JSON.stringify(DRIVER)}); })
  .then(({ openSqliteDatabase }) => {
    const db = openSqliteDatabase(workerData.file);
    db.exec('BEGIN EXCLUSIVE');
    parentPort.postMessage('locked');
    setTimeout(() => { db.exec('COMMIT'); db.close(); parentPort.postMessage('released'); }, workerData.ms);
  });
`;

test('opening a sandbox.db another connection holds locked waits for it, then opens', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-sandbox-lock-'));
  try {
    const holder = new Worker(HOLDER, { eval: true, workerData: { file: path.join(dir, 'sandbox.db'), ms: 300 } });
    const released = new Promise((resolve) => holder.on('message', (m) => m === 'released' && resolve(m)));
    await new Promise((resolve) => holder.once('message', resolve));
    const db = openSandboxDb(dir);
    assert.equal((db.pragma('journal_mode', { simple: true }) as string).toLowerCase(), 'wal');
    db.close();
    await released;
    await holder.terminate();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
