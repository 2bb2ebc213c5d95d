import {
  DEFAULT_MIGRATION_TABLE,
  Kysely,
  Migrator,
  type KyselyConfig,
  sql,
  type MigrationResult,
  type PostgresCursor,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryResult,
} from 'kysely';
import pg from 'pg';
import type { DatabaseConfig, PostgresTimeouts } from '../config/config.js';
import { preparePrivateSqliteFile } from '../config/paths.js';
import { migrationProvider } from './migrations/index.js';
import { OrchardPostgresDialect } from './postgres-dialect.js';
import { orchardSqliteDialect } from './sqlite-dialect.js';
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
  /**
   * PostgreSQL only: no statement or query timeout, for migrations. An index built over a big
   * table may rightly take minutes, and a second instance waits on the migration lock.
   */
  readonly unboundedStatements?: boolean;
  /** Sees every statement run, with its parameters (tests explain the queries Orchard makes). */
  readonly onQuery?: (sql: string, parameters: readonly unknown[]) => void;
}

export function openDb(config: DatabaseConfig, options: OpenOptions = {}): Db {
  const kysely =
    config.engine === 'sqlite' ? openSqlite(config.file, options) : openPostgres(config.url, config.timeouts, options);
  return {
    kysely,
    engine: config.engine,
    close: () => kysely.destroy(),
  };
}

function openSqlite(file: string, options: OpenOptions): Kysely<Database> {
  // The file holds sealed secrets, password hashes and sessions: nobody else's business.
  if (file !== ':memory:') preparePrivateSqliteFile(file);
  return new Kysely<Database>({ dialect: orchardSqliteDialect(file), ...queryLog(options) });
}

function queryLog(options: OpenOptions): Pick<KyselyConfig, 'log'> {
  const onQuery = options.onQuery;
  if (onQuery === undefined) return {};
  return { log: (event) => onQuery(event.query.sql, event.query.parameters) };
}

/** Statement texts run as named prepared statements on PostgreSQL, with their names. */
const preparedStatements = new Map<string, string>();

/**
 * Has PostgreSQL plan this statement text once per connection rather than on every run, and
 * returns the text. Only for statements whose plan does not depend on their parameters'
 * values: after five runs PostgreSQL may keep one generic plan for all of them.
 */
/**
 * Runs `work` in a transaction: a new one, or the caller's when `db` is already one (a
 * repository used inside a service's transaction must join it; Kysely refuses to nest).
 */
export function inTransaction<T>(db: Kysely<Database>, work: (tx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

export function preparedOnPostgres(text: string): string {
  if (!preparedStatements.has(text)) preparedStatements.set(text, `orchard_${preparedStatements.size + 1}`);
  return text;
}

/**
 * A query's answer may take this long past the statement timeout before the client gives up on
 * the server: normally PostgreSQL's own cancel (57014) arrives first, with a clear error.
 */
const QUERY_TIMEOUT_GRACE_MS = 2000;

function openPostgres(url: string, timeouts: PostgresTimeouts, options: OpenOptions): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    // Covers a server that accepts the connection but never answers it, and the wait for a free
    // connection when all are busy: either way the request gets a 503 instead of hanging.
    connectionTimeoutMillis: timeouts.connectMs,
    idleTimeoutMillis: 30_000,
    // Notices a server that vanished without closing the connection (failover, a NAT forgetting it).
    keepAlive: true,
    // Names Orchard's sessions in pg_stat_activity; application_name in DATABASE_URL wins.
    fallback_application_name: 'orchard',
    ...(options.unboundedStatements === true
      ? {}
      : {
          statement_timeout: timeouts.statementMs,
          // A transaction left open by a stuck request would hold its locks and connection for good.
          idle_in_transaction_session_timeout: timeouts.statementMs,
          // A server that stops answering mid-query (a partition) never sends its own cancel.
          query_timeout: timeouts.statementMs + QUERY_TIMEOUT_GRACE_MS,
        }),
    ...(options.schema === undefined ? {} : { options: `-c search_path=${quoteIdent(options.schema)}` }),
  });
  // An idle client losing its connection (server restart, failover) emits 'error' on the
  // pool; unhandled, that would crash the process instead of failing the next query.
  pool.on('error', () => undefined);
  return new Kysely<Database>({
    dialect: new OrchardPostgresDialect({ pool: guardedPool(pool) }),
    ...queryLog(options),
  });
}

/**
 * What node-postgres leaves to whoever checks a connection out of its pool, done once here for
 * every query Kysely runs. A connection released as broken is closed, not pooled again.
 * - A connection that fails while checked out (the server closed it mid-query) emits 'error';
 *   unheard, that is an uncaught exception and the end of the process. The query fails with
 *   the same error, so listening is enough, and the connection is broken.
 * - query_timeout rejects a query whose answer does not come but leaves it in flight: every
 *   later query on that connection would queue behind the lost one and time out too.
 */
function guardedPool(pool: pg.Pool): PostgresPool {
  return {
    end: () => pool.end(),
    connect: async (): Promise<PostgresPoolClient> => {
      const client = await pool.connect();
      let broken = false;
      const onError = () => {
        broken = true;
      };
      client.on('error', onError);
      function query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
      function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
      function query<R>(
        text: string | PostgresCursor<R>,
        parameters: ReadonlyArray<unknown> = [],
      ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
        // Orchard configures no cursor, so Kysely never streams.
        if (typeof text !== 'string') throw new Error('query streaming is not configured');
        const name = preparedStatements.get(text);
        const values = [...parameters];
        return (name === undefined ? client.query(text, values) : client.query({ name, text, values })).then(
          (result) => ({
            // pg's own command tag; Kysely's type narrows it to the ones it looks at.
            command: result.command as PostgresQueryResult<R>['command'],
            rowCount: result.rowCount ?? 0,
            rows: result.rows,
          }),
          (error: unknown) => {
            if (error instanceof Error && error.message === 'Query read timeout') broken = true;
            throw error;
          },
        );
      }
      return {
        query,
        release: (destroy?: boolean) => {
          client.off('error', onError);
          client.release(destroy === true || broken);
        },
      };
    },
  };
}

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid schema name: ${name}`);
  return name;
}

export class MigrationError extends Error {
  readonly code = 'MIGRATION_FAILED';
}

/**
 * Kysely's migrator for Orchard's migrations in the schema this connection uses. Unless told
 * which schema, it looks for its own tables in every schema it can see: a
 * kysely_migration_lock in another schema of the same database (another app, or a parallel
 * test run) would make it skip creating ours.
 */
export async function migratorFor(db: Db): Promise<Migrator> {
  const schema =
    db.engine === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db.kysely)).rows[0]?.schema
      : undefined;
  return new Migrator({
    db: db.kysely,
    provider: migrationProvider,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
}

export async function migrateToLatest(db: Db): Promise<MigrationResult[]> {
  const migrator = await migratorFor(db);
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

/**
 * Applies the migrations over a connection of its own that has no statement timeout
 * (OpenOptions.unboundedStatements), then closes it.
 */
export async function migrate(config: DatabaseConfig, options: OpenOptions = {}): Promise<MigrationResult[]> {
  const db = openDb(config, { ...options, poolSize: 1, unboundedStatements: true });
  try {
    return await migrateToLatest(db);
  } finally {
    await db.close();
  }
}

/**
 * The migrations this code knows that the database has not applied, oldest first; empty when
 * the schema is the one the code expects. Migrations the database has beyond them (a newer
 * Orchard migrated during a rolling upgrade) are not this instance's problem.
 */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const known = Object.keys(await migrationProvider.getMigrations()).sort();
  const applied = await sql<{ name: string }>`select name from ${sql.table(DEFAULT_MIGRATION_TABLE)}`.execute(
    db.kysely,
  );
  const done = new Set(applied.rows.map((row) => row.name));
  return known.filter((name) => !done.has(name));
}
