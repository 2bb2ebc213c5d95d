/**
 * Orchard's SQLite connections, set up alike wherever they are opened: the writer on its
 * worker thread (sqlite-writer-thread.ts), the reader on the main thread (sqlite-dialect.ts).
 */
import { openSqliteDatabase, type SqliteDatabase, type SqliteStatement } from './sqlite-driver.js';

export type SqliteRole = 'writer' | 'reader';

export function openOrchardSqlite(file: string, role: SqliteRole): SqliteDatabase {
  const database = openSqliteDatabase(file);
  // busy_timeout makes a second process (the CLI next to a running server) wait for the lock
  // instead of failing at once; a reader may wait too, while a writer recovers the WAL.
  database.pragma('busy_timeout = 5000');
  // Both roles keep foreign keys on: a reader never writes, and a raw statement run as a
  // reader by mistake must not skip the checks a writer makes.
  database.pragma('foreign_keys = ON');
  if (role === 'writer') {
    // WAL lets readers proceed while a writer commits (it is kept in the file, so the reader,
    // opened after, finds it on).
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    // Deleted rows are overwritten, not just unlinked: a deleted token's sealed keys should
    // not linger in free pages of the file.
    database.pragma('secure_delete = ON');
  }
  return database;
}

/** Distinct statement texts kept prepared; Orchard's queries come in a few hundred shapes. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every query anew. The sync and the API run the same few
 * hundred statements over and over, and preparing them again was about 5 % of a sync's CPU, so
 * prepared statements are kept by their text (least recently used out).
 */
export class PreparedStatements {
  private readonly cache = new Map<string, SqliteStatement>();

  constructor(private readonly database: SqliteDatabase) {}

  get(source: string): SqliteStatement {
    let statement = this.cache.get(source);
    if (statement === undefined) {
      statement = this.database.prepare(source);
      if (this.cache.size >= STATEMENT_CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    } else {
      this.cache.delete(source);
    }
    this.cache.set(source, statement);
    return statement;
  }

  /** A statement of its own: one being iterated stays busy until its stream ends. */
  fresh(source: string): SqliteStatement {
    return this.database.prepare(source);
  }

  close(): void {
    this.cache.clear();
    this.database.close();
  }
}
