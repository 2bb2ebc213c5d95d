import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { unavailabilityOf, violationOf, type Unavailability } from '../../src/store/errors.js';
import { openSqliteDatabase } from '../../src/store/sqlite-driver.js';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

const CASES: ReadonlyArray<readonly [string, unknown, Unavailability | undefined]> = [
  ['nothing listens', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), 'unreachable'],
  ['a host with several addresses, all refusing (AggregateError)', withCode('', 'ECONNREFUSED'), 'unreachable'],
  ['the host name does not resolve', withCode('getaddrinfo ENOTFOUND db', 'ENOTFOUND'), 'unreachable'],
  ['the server is starting up', withCode('the database system is starting up', '57P03'), 'unreachable'],
  ['pg: connectionTimeoutMillis while connecting', new Error('timeout expired'), 'timeout'],
  ['pg-pool: the same', new Error('Connection terminated due to connection timeout'), 'timeout'],
  ['pg-pool: no free connection in time', new Error('timeout exceeded when trying to connect'), 'timeout'],
  ['pg: query_timeout', new Error('Query read timeout'), 'timeout'],
  ['statement_timeout', withCode('canceling statement due to statement timeout', '57014'), 'timeout'],
  [
    'idle in transaction too long',
    withCode('terminating connection due to idle-in-transaction timeout', '25P03'),
    'timeout',
  ],
  ['the socket timed out', withCode('connect ETIMEDOUT 10.0.0.5:5432', 'ETIMEDOUT'), 'timeout'],
  ['the server closed the connection mid-query', new Error('Connection terminated unexpectedly'), 'connection_lost'],
  ['pg_terminate_backend', withCode('terminating connection due to administrator command', '57P01'), 'connection_lost'],
  [
    'a crash restart',
    withCode('terminating connection because of crash of another server process', '57P02'),
    'connection_lost',
  ],
  ['connection failure', withCode('connection failure', '08006'), 'connection_lost'],
  ['reset by peer', withCode('read ECONNRESET', 'ECONNRESET'), 'connection_lost'],
  ['a dropped database', withCode('database "orchard" does not exist', '3D000'), 'missing_database'],
  ['a dropped table', withCode('relation "customers" does not exist', '42P01'), 'missing_tables'],
  ['a dropped schema', withCode('schema "orchard" does not exist', '3F000'), 'missing_tables'],
  ['a wrong password', withCode('password authentication failed for user "orchard"', '28P01'), 'credentials_refused'],
  ['too many connections', withCode('sorry, too many clients already', '53300'), 'busy'],
  ['disk full', withCode('could not extend file', '53100'), 'out_of_resources'],
  ['SQLite disk full', withCode('database or disk is full', 'SQLITE_FULL'), 'out_of_resources'],
  ['SQLite busy, extended code', withCode('database is locked', 'SQLITE_BUSY_SNAPSHOT'), 'busy'],
  [
    'a failed migration wrapping a refused connection',
    new Error('database migration failed', { cause: withCode('connect ECONNREFUSED', 'ECONNREFUSED') }),
    'unreachable',
  ],
  // Not the database's condition: Orchard's code or the caller's input, handled elsewhere.
  ['a unique violation', withCode('duplicate key value violates unique constraint', '23505'), undefined],
  ['a syntax error (a bug)', withCode('syntax error at or near "selec"', '42601'), undefined],
  ['a serialization failure', withCode('could not serialize access', '40001'), undefined],
  ['an SQLite constraint', withCode('UNIQUE constraint failed: customers.name', 'SQLITE_CONSTRAINT_UNIQUE'), undefined],
  ['a plain bug', new TypeError('cannot read properties of undefined'), undefined],
  ['not an error at all', 'ECONNREFUSED', undefined],
];

for (const [what, error, expected] of CASES) {
  test(`${what}: ${expected ?? 'not a database unavailability'}`, () => {
    assert.equal(unavailabilityOf(error), expected);
  });
}

test('a real SQLite lock held past the busy timeout, and a real missing table, are told apart from bugs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchard-busy-'));
  const file = path.join(dir, 'busy.db');
  const holder = openSqliteDatabase(file);
  const waiter = openSqliteDatabase(file);
  try {
    holder.exec('create table t (x integer)');
    waiter.pragma('busy_timeout = 50');
    holder.exec('begin exclusive');
    const busy = catching(() => waiter.exec('insert into t values (1)'));
    assert.equal(unavailabilityOf(busy), 'busy', String(busy));
    holder.exec('rollback');
    const missing = catching(() => waiter.prepare('select * from customers').all());
    assert.equal(unavailabilityOf(missing), 'missing_tables', String(missing));
    assert.equal(violationOf(missing), undefined);
  } finally {
    holder.close();
    waiter.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function catching(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  assert.fail('expected an error');
}
