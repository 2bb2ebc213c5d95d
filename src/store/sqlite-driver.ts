/**
 * The SQLite connection Orchard and the sandbox use, whatever Node.js runs them.
 *
 * - Node.js 20 and 22: better-sqlite3 12, the fastest driver, and the only one on Node 20.
 * - Node.js 24 and later: Node's own `node:sqlite`. better-sqlite3 ≤ 12 wraps its objects in
 *   the raw `node::ObjectWrap`, whose destructor on Node 24 asserts a current Environment; a
 *   statement collected by the GC at the wrong moment aborts the whole process
 *   ("Assertion failed: (env) != nullptr", WiseLibs/better-sqlite3#1515, seen here in the
 *   test suite). better-sqlite3 13 fixes it but refuses Node 20 (and crashes on it).
 *
 * Callers see one interface, the subset of better-sqlite3's API Orchard uses (Kysely's
 * SqliteDialect needs prepare/reader/all/run/iterate/close; the sandbox adds get, raw,
 * transaction, pragma, exec). The adapter below gives `node:sqlite` the same behaviour:
 * plain-object rows, Buffers for blobs, better-sqlite3's transaction functions and its
 * `SQLITE_*` error codes, which store/errors.ts reads.
 */
import { createRequire } from 'node:module';

export type SqliteValue = string | number | bigint | Buffer | Uint8Array | null;
/** Anonymous values, arrays of them (Kysely passes one array) or one object of named values. */
export type SqliteParams = ReadonlyArray<unknown>;

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface SqliteStatement {
  /** True when the statement returns rows (Kysely decides between all() and run() on it). */
  readonly reader: boolean;
  get(...params: SqliteParams): unknown;
  all(...params: SqliteParams): unknown[];
  run(...params: SqliteParams): RunResult;
  iterate(...params: SqliteParams): IterableIterator<unknown>;
  /** Rows as arrays in column order instead of objects. */
  raw(toggle?: boolean): this;
}

export interface SqliteDatabase {
  prepare(source: string): SqliteStatement;
  exec(source: string): this;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  /** A function running `fn` in a transaction (a savepoint when nested), as better-sqlite3's. */
  transaction<F extends (...args: never[]) => unknown>(fn: F): F;
  close(): this;
}

const require = createRequire(import.meta.url);
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** Which driver this process uses: see the header for why it depends on the Node.js version. */
export const SQLITE_DRIVER: 'better-sqlite3' | 'node:sqlite' = NODE_MAJOR >= 24 ? 'node:sqlite' : 'better-sqlite3';

export function openSqliteDatabase(file: string): SqliteDatabase {
  if (SQLITE_DRIVER === 'better-sqlite3') {
    // Loaded only here, so a Node 24 process never loads the addon that aborts on it.
    const BetterSqlite = require('better-sqlite3') as new (file: string) => SqliteDatabase;
    return new BetterSqlite(file);
  }
  return new NodeSqliteDatabase(file);
}

// ---- node:sqlite, shaped like better-sqlite3 ----

interface NodeStatementSync {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): RunResult;
  iterate(...params: unknown[]): IterableIterator<unknown>;
  columns(): unknown[];
  setReturnArrays(enabled: boolean): void;
}

interface NodeDatabaseSync {
  prepare(source: string): NodeStatementSync;
  exec(source: string): void;
  close(): void;
}

class NodeSqliteDatabase implements SqliteDatabase {
  private readonly db: NodeDatabaseSync;
  private depth = 0;
  private savepoints = 0;

  constructor(file: string) {
    const { DatabaseSync } = require('node:sqlite') as { DatabaseSync: new (file: string) => NodeDatabaseSync };
    this.db = translateErrors(() => new DatabaseSync(file));
  }

  prepare(source: string): SqliteStatement {
    return new NodeSqliteStatement(translateErrors(() => this.db.prepare(source)));
  }

  exec(source: string): this {
    translateErrors(() => this.db.exec(source));
    return this;
  }

  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    const statement = this.prepare(`PRAGMA ${source}`);
    if (!options.simple) return statement.all();
    const first = statement.raw(true).get() as unknown[] | undefined;
    return first?.[0];
  }

  transaction<F extends (...args: never[]) => unknown>(fn: F): F {
    const run = (...args: Parameters<F>): unknown => {
      const outermost = this.depth === 0;
      const savepoint = `orchard_sp_${(this.savepoints += 1)}`;
      this.exec(outermost ? 'BEGIN' : `SAVEPOINT ${savepoint}`);
      this.depth += 1;
      try {
        const result = fn(...args);
        this.exec(outermost ? 'COMMIT' : `RELEASE ${savepoint}`);
        return result;
      } catch (error) {
        this.exec(outermost ? 'ROLLBACK' : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
        throw error;
      } finally {
        this.depth -= 1;
      }
    };
    return run as F;
  }

  close(): this {
    this.db.close();
    return this;
  }
}

class NodeSqliteStatement implements SqliteStatement {
  readonly reader: boolean;
  private arrays = false;

  constructor(private readonly statement: NodeStatementSync) {
    this.reader = statement.columns().length > 0;
  }

  get(...params: SqliteParams): unknown {
    const row = translateErrors(() => this.statement.get(...bindable(params)));
    return row === undefined ? undefined : this.shape(row);
  }

  all(...params: SqliteParams): unknown[] {
    return translateErrors(() => this.statement.all(...bindable(params))).map((row) => this.shape(row));
  }

  run(...params: SqliteParams): RunResult {
    return translateErrors(() => this.statement.run(...bindable(params)));
  }

  *iterate(...params: SqliteParams): IterableIterator<unknown> {
    const rows = translateErrors(() => this.statement.iterate(...bindable(params)));
    for (const row of rows) yield this.shape(row);
  }

  raw(toggle = true): this {
    this.arrays = toggle;
    this.statement.setReturnArrays(toggle);
    return this;
  }

  /** node:sqlite gives null-prototype objects and Uint8Arrays; better-sqlite3 plain objects and Buffers. */
  private shape(row: unknown): unknown {
    if (this.arrays) return (row as unknown[]).map(asBuffer);
    const plain: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(row as Record<string, unknown>)) plain[key] = asBuffer(value);
    return plain;
  }
}

/** A Uint8Array as a Buffer over the same memory; anything else as it is. */
export function asBuffer(value: unknown): unknown {
  return value instanceof Uint8Array && !Buffer.isBuffer(value)
    ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    : value;
}

/** better-sqlite3 flattens array arguments; node:sqlite takes values one by one. */
function bindable(params: SqliteParams): unknown[] {
  return params.flatMap((param) => (Array.isArray(param) ? param : [param]));
}

/** SQLite's result code names (sqlite.org/rescode.html), for errors shaped as better-sqlite3's. */
const PRIMARY_CODES: Readonly<Record<number, string>> = {
  1: 'SQLITE_ERROR',
  2: 'SQLITE_INTERNAL',
  3: 'SQLITE_PERM',
  4: 'SQLITE_ABORT',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM',
  8: 'SQLITE_READONLY',
  9: 'SQLITE_INTERRUPT',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  12: 'SQLITE_NOTFOUND',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  15: 'SQLITE_PROTOCOL',
  17: 'SQLITE_SCHEMA',
  18: 'SQLITE_TOOBIG',
  19: 'SQLITE_CONSTRAINT',
  20: 'SQLITE_MISMATCH',
  21: 'SQLITE_MISUSE',
  23: 'SQLITE_AUTH',
  25: 'SQLITE_RANGE',
  26: 'SQLITE_NOTADB',
};

const EXTENDED_CODES: Readonly<Record<number, string>> = {
  275: 'SQLITE_CONSTRAINT_CHECK',
  787: 'SQLITE_CONSTRAINT_FOREIGNKEY',
  1299: 'SQLITE_CONSTRAINT_NOTNULL',
  1555: 'SQLITE_CONSTRAINT_PRIMARYKEY',
  2067: 'SQLITE_CONSTRAINT_UNIQUE',
  1811: 'SQLITE_CONSTRAINT_TRIGGER',
  517: 'SQLITE_BUSY_SNAPSHOT',
  261: 'SQLITE_BUSY_RECOVERY',
  262: 'SQLITE_LOCKED_SHAREDCACHE',
  1032: 'SQLITE_READONLY_DBMOVED',
};

/** An error as better-sqlite3 throws it: `code` names SQLite's (extended) result code. */
export class SqliteError extends Error {
  constructor(
    message: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'SqliteError';
  }
}

function translateErrors<T>(operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    const errcode = (error as { errcode?: unknown } | null)?.errcode;
    if (typeof errcode !== 'number') throw error;
    const code = EXTENDED_CODES[errcode] ?? PRIMARY_CODES[errcode & 0xff] ?? `SQLITE_UNKNOWN_${errcode}`;
    throw new SqliteError((error as Error).message, code, { cause: error });
  }
}
