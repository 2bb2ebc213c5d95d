/**
 * Constraint violations as the repositories report them, whichever engine raised them.
 * PostgreSQL uses SQLSTATE 23505 / 23503. SQLite (better-sqlite3) puts an extended code in
 * `code`, but not a reliable one: a foreign key violated by a DELETE comes back as
 * SQLITE_CONSTRAINT_TRIGGER, so foreign keys are recognised by their message too.
 */
export type Violation = 'unique' | 'foreign_key';

export function violationOf(error: unknown): Violation | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = String((error as { code: unknown }).code);
  const message = error instanceof Error ? error.message : '';
  if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
    return 'unique';
  if (code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'foreign_key';
  if (code.startsWith('SQLITE_CONSTRAINT') && message.includes('FOREIGN KEY')) return 'foreign_key';
  return undefined;
}

/**
 * PostgreSQL gave up on a transaction to break a deadlock (40P01) or a serialization conflict
 * (40001): nothing of it was kept, and running it again is the documented remedy. Deadlocks
 * can happen where two transactions update the same device-count rows in different orders
 * (a sync page and a check-in of that token's devices).
 */
export function isRetryableConflict(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const code = String((error as { code: unknown }).code);
  return code === '40P01' || code === '40001';
}

/**
 * Why the database could not serve a statement, when the reason is the database's condition
 * rather than Orchard's code or the caller's input. Every such failure is a 503 the client may
 * retry; the reason picks the sentence that tells an administrator what to look at.
 */
export type Unavailability =
  | 'unreachable'
  | 'timeout'
  | 'connection_lost'
  | 'missing_database'
  | 'missing_tables'
  | 'credentials_refused'
  | 'busy'
  | 'out_of_resources';

const UNAVAILABLE_SQLSTATE: ReadonlyArray<readonly [RegExp, Unavailability]> = [
  [/^08/, 'connection_lost'], // connection exception: 08001 cannot connect, 08006 failure, 08003 gone
  [/^57P0[12]$/, 'connection_lost'], // admin or crash shutdown (pg_terminate_backend, a restart)
  [/^57P03$/, 'unreachable'], // cannot connect now: the server is starting up or in recovery
  [/^57014$/, 'timeout'], // statement_timeout (or a cancel) stopped the statement
  [/^25P03$/, 'timeout'], // idle_in_transaction_session_timeout ended the session
  [/^55P03$/, 'busy'], // lock not available
  [/^53300$/, 'busy'], // too many connections
  [/^53/, 'out_of_resources'], // disk full, out of memory
  [/^3D000$/, 'missing_database'],
  [/^(42P01|3F000)$/, 'missing_tables'], // undefined table, undefined schema: dropped under a running server
  [/^28/, 'credentials_refused'],
];

const UNAVAILABLE_NODE_CODES: Readonly<Record<string, Unavailability>> = {
  ECONNREFUSED: 'unreachable',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  ENOTFOUND: 'unreachable',
  EAI_AGAIN: 'unreachable',
  ETIMEDOUT: 'timeout',
  ECONNRESET: 'connection_lost',
  EPIPE: 'connection_lost',
  ERR_SQLITE_WRITER_LOST: 'connection_lost', // SQLite's writer thread ended (store/sqlite-writer.ts)
  SQLITE_BUSY: 'busy',
  SQLITE_LOCKED: 'busy',
  SQLITE_FULL: 'out_of_resources',
};

/**
 * node-postgres reports its own timeouts and lost connections as plain Errors without a code;
 * their messages are all there is to go on (pg and pg-pool 8.x).
 */
const UNAVAILABLE_MESSAGES: ReadonlyArray<readonly [RegExp, Unavailability]> = [
  [/^timeout expired$/, 'timeout'], // pg: connectionTimeoutMillis while connecting
  [/^Connection terminated due to connection timeout$/, 'timeout'], // pg-pool: the same, from the pool
  [/^timeout exceeded when trying to connect$/, 'timeout'], // pg-pool: no free connection in time
  [/^Query read timeout$/, 'timeout'], // pg: query_timeout, the server stopped answering
  [/^Connection terminated/, 'connection_lost'], // "... unexpectedly", "... by user" while a query ran
  [/^Client has encountered a connection error and is not queryable$/, 'connection_lost'],
  [/^no such table: /, 'missing_tables'], // SQLite (code SQLITE_ERROR)
];

/** The unavailability behind an error, following `cause` (a failed migration wraps its reason). */
export function unavailabilityOf(error: unknown): Unavailability | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const reason = ownUnavailability(current);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

function ownUnavailability(error: Error): Unavailability | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    const sqlstate = /^[0-9A-Z]{5}$/.test(code)
      ? UNAVAILABLE_SQLSTATE.find(([pattern]) => pattern.test(code))
      : undefined;
    if (sqlstate !== undefined) return sqlstate[1];
    // better-sqlite3 gives extended codes (SQLITE_BUSY_SNAPSHOT): the primary code decides.
    const known = UNAVAILABLE_NODE_CODES[code] ?? UNAVAILABLE_NODE_CODES[code.replace(/^(SQLITE_[A-Z]+)_.*$/, '$1')];
    if (known !== undefined) return known;
  }
  return UNAVAILABLE_MESSAGES.find(([pattern]) => pattern.test(error.message))?.[1];
}
