import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type MigrationResult } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config/config.js';
import { preparePrivateSqliteFile } from '../config/paths.js';
import { migrationProvider } from './migrations/index.js';
import { openSqliteDatabase } from './sqlite-driver.js';
import type { Database } from './schema.js';

export type Engine = DatabaseConfig['engine'];

export interface Db {
  readonly kysely: Kysely<Database>;
  readonly engine: Engine;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL only: run in this schema (tests give each run its own). */
  readonly schema?: string;
  readonly poolSize?: number;
}

export function openDb(config: DatabaseConfig, options: OpenOptions = {}): Db {
  const kysely = config.engine === 'sqlite' ? openSqlite(config.file) : openPostgres(config.url, options);
  return {
    kysely,
    engine: config.engine,
    close: () => kysely.destroy(),
  };
}

function openSqlite(file: string): Kysely<Database> {
  // The file holds sealed secrets, password hashes and sessions: nobody else's business.
  if (file !== ':memory:') preparePrivateSqliteFile(file);
  const database = openSqliteDatabase(file);
  // WAL lets readers proceed while a writer commits; busy_timeout makes a second process
  // (the CLI next to a running server) wait for the lock instead of failing at once.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  // Deleted rows are overwritten, not just unlinked: a deleted token's sealed keys should not
  // linger in free pages of the file.
  database.pragma('secure_delete = ON');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
}

function openPostgres(url: string, options: OpenOptions): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    ...(options.schema === undefined ? {} : { options: `-c search_path=${quoteIdent(options.schema)}` }),
  });
  // An idle client losing its connection (server restart, failover) emits 'error' on the
  // pool; unhandled, that would crash the process instead of failing the next query.
  pool.on('error', () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid schema name: ${name}`);
  return name;
}

export class MigrationError extends Error {
  readonly code = 'MIGRATION_FAILED';
}

export async function migrateToLatest(db: Db): Promise<MigrationResult[]> {
  // Kysely's migrator looks for its own tables in every schema it can see unless told which
  // one: a kysely_migration_lock in another schema of the same database (another app, or a
  // parallel test run) would make it skip creating ours. Name the schema we actually use.
  const schema =
    db.engine === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db.kysely)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({
    db: db.kysely,
    provider: migrationProvider,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error');
    throw new MigrationError(
      `database migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return results;
}
