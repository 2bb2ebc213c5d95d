/**
 * Kysely on SQLite with the writer off the main thread. Reads outside a transaction run on the
 * main thread's own connection, synchronously (a page of the device list takes well under a
 * millisecond); every write and every transaction goes to the writer connection on its worker
 * thread (sqlite-writer.ts), one at a time. A sync's writes therefore never stall the API,
 * and WAL gives each read the last committed state, as PostgreSQL's read committed does.
 *
 * `:memory:` has no file for two connections to share: it runs on one connection on the main
 * thread, as Kysely's own SQLite driver does.
 */
import {
  CompiledQuery,
  SelectQueryNode,
  SqliteAdapter,
  SqliteDialect,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type SqliteDatabase as KyselySqliteDatabase,
} from 'kysely';
import { PreparedStatements, openOrchardSqlite } from './sqlite-connection.js';
import { SqliteWriter, type WriterResult } from './sqlite-writer.js';

export interface SqliteDialectOptions {
  /** Starts a writer thread; tests pass one that keeps the writer, to end it as a crash would. */
  readonly startWriter?: (file: string) => Promise<SqliteWriter>;
}

export function orchardSqliteDialect(file: string, options: SqliteDialectOptions = {}): Dialect {
  if (file === ':memory:') {
    return new SqliteDialect({ database: async () => asKyselyDatabase(openOrchardSqlite(file, 'writer')) });
  }
  return {
    createDriver: () => new SplitSqliteDriver(file, options.startWriter ?? ((f) => SqliteWriter.start(f))),
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createAdapter: () => new SqliteAdapter(),
    createIntrospector: (db: Kysely<unknown>) => new SqliteIntrospector(db),
  };
}

function asKyselyDatabase(database: ReturnType<typeof openOrchardSqlite>): KyselySqliteDatabase {
  const statements = new PreparedStatements(database);
  return {
    close: () => statements.close(),
    prepare: (source) => {
      const statement = statements.get(source);
      return {
        reader: statement.reader,
        all: (parameters) => statement.all(parameters),
        run: (parameters) => statement.run(parameters),
        iterate: (parameters) => statements.fresh(source).iterate(parameters),
      };
    },
  };
}

/** One holder at a time: a transaction from begin to release, or a single write. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async lock(): Promise<() => void> {
    let unlock!: () => void;
    const held = new Promise<void>((resolve) => {
      unlock = resolve;
    });
    const before = this.tail;
    this.tail = before.then(() => held);
    await before;
    return unlock;
  }
}

class SplitSqliteDriver implements Driver {
  /** The writer thread, or its start under way. */
  private writer: Promise<SqliteWriter> | undefined;
  private reader: PreparedStatements | undefined;
  private readonly writes = new Mutex();

  constructor(
    private readonly file: string,
    private readonly startWriter: (file: string) => Promise<SqliteWriter>,
  ) {}

  async init(): Promise<void> {
    // The writer first: it puts the file in WAL mode before the reader opens it.
    await this.liveWriter();
    this.reader = new PreparedStatements(openOrchardSqlite(this.file, 'reader'));
  }

  /**
   * The writer thread, started again if it has ended: the statements it owed failed with it
   * (a 503), and what comes after gets a fresh thread and connection instead of failing too.
   * A start that fails fails its caller; the next caller tries again.
   */
  private async liveWriter(): Promise<SqliteWriter> {
    for (;;) {
      const starting = (this.writer ??= this.startWriter(this.file));
      let writer: SqliteWriter;
      try {
        writer = await starting;
      } catch (error) {
        if (this.writer === starting) this.writer = undefined;
        throw error;
      }
      if (!writer.ended) return writer;
      if (this.writer === starting) this.writer = undefined;
    }
  }

  acquireConnection(): Promise<DatabaseConnection> {
    if (this.reader === undefined) throw new Error('driver not initialised');
    return Promise.resolve(new SplitConnection(this.reader, () => this.liveWriter(), this.writes));
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as SplitConnection).begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoted(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quoted(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string) {
    await connection.executeQuery(CompiledQuery.raw(`release ${quoted(name)}`));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as SplitConnection).release();
    return Promise.resolve();
  }

  async destroy(): Promise<void> {
    await this.writes.lock();
    this.reader?.close();
    const writer = await this.writer?.catch(() => undefined);
    await writer?.close();
  }
}

function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

class SplitConnection implements DatabaseConnection {
  /** Set from begin to release: the transaction holds the writer mutex and this thread. */
  private transaction: { unlock: () => void; writer: SqliteWriter } | undefined;

  constructor(
    private readonly reader: PreparedStatements,
    private readonly writer: () => Promise<SqliteWriter>,
    private readonly writes: Mutex,
  ) {}

  async begin(): Promise<void> {
    const unlock = await this.writes.lock();
    try {
      // Pinned: should the thread end mid-transaction, the rest fails with it rather than
      // running on a new connection outside the transaction.
      this.transaction = { unlock, writer: await this.writer() };
    } catch (error) {
      unlock();
      throw error;
    }
    // Immediate: the write lock is taken here, waiting out busy_timeout for another process
    // holding it. A deferred transaction that reads first and then writes gets SQLITE_BUSY at
    // once, without waiting, when another connection wrote meanwhile (two instances, the CLI).
    await this.onWriter(this.transaction.writer, CompiledQuery.raw('begin immediate'));
  }

  release(): void {
    this.transaction?.unlock();
    this.transaction = undefined;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.transaction !== undefined) return this.onWriter(this.transaction.writer, query);
    if (SelectQueryNode.is(query.query)) {
      return { rows: this.reader.get(query.sql).all(query.parameters) as R[] };
    }
    const unlock = await this.writes.lock();
    try {
      return await this.onWriter(await this.writer(), query);
    } finally {
      unlock();
    }
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (this.transaction !== undefined || !SelectQueryNode.is(query.query)) {
      throw new Error('SQLite streams only select queries outside a transaction');
    }
    for (const row of this.reader.fresh(query.sql).iterate(query.parameters)) yield { rows: [row as R] };
  }

  private async onWriter<R>(writer: SqliteWriter, query: CompiledQuery): Promise<QueryResult<R>> {
    return resultOf<R>(await writer.execute(query.sql, query.parameters));
  }
}

function resultOf<R>(result: WriterResult): QueryResult<R> {
  if ('rows' in result) return { rows: result.rows as R[] };
  return {
    numAffectedRows: BigInt(result.changes),
    insertId: BigInt(result.lastInsertRowid),
    rows: [],
  };
}
