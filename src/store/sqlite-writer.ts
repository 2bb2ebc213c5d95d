/**
 * The main thread's handle on the SQLite writer connection, which lives on a worker thread
 * (sqlite-writer-thread.ts): statements go there as messages and their results come back.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { SqliteError, asBuffer } from './sqlite-driver.js';

export type WriterRequest =
  | { readonly type: 'query'; readonly id: number; readonly sql: string; readonly parameters: readonly unknown[] }
  | { readonly type: 'close'; readonly id: number };

export type WriterReply =
  | { readonly id: number; readonly rows: unknown[] }
  | { readonly id: number; readonly changes: number | bigint; readonly lastInsertRowid: number | bigint }
  | { readonly id: number; readonly error: { name: string; message: string; code?: string } };

export type WriterResult =
  { readonly rows: unknown[] } | { readonly changes: number | bigint; readonly lastInsertRowid: number | bigint };

interface Pending {
  resolve(result: WriterResult): void;
  reject(error: Error): void;
}

/** The worker's file beside this one: .js when built, .ts when run from source. */
const threadFile = new URL(`./sqlite-writer-thread${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * Run from source (tests, `npm run dev`), the thread is TypeScript: tsx's loader, inherited
 * through --import, does not reach a worker's entry on Node 20, so the thread registers it
 * itself before importing its file. Built, the thread is plain JavaScript.
 */
function startThread(file: string): Worker {
  const workerData = { file };
  if (threadFile.pathname.endsWith('.js')) return new Worker(threadFile, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(threadFile.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

/**
 * The writer thread ended while statements were owed (it crashed, or was terminated). What
 * they did is rolled back with the thread's connection; store/errors.ts makes it a 503.
 */
export class WriterLostError extends Error {
  readonly code = 'ERR_SQLITE_WRITER_LOST';
}

export class SqliteWriter {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Set once the thread has ended or failed: every later request fails with it. */
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: WriterReply) => this.settle(reply));
    worker.on('error', (error) => this.fail(new WriterLostError(`the SQLite writer thread failed: ${error.message}`)));
    worker.on('exit', (code) => this.fail(new WriterLostError(`the SQLite writer thread exited (code ${code})`)));
  }

  /** True once the thread has ended: its owner starts another for what comes next. */
  get ended(): boolean {
    return this.failure !== undefined;
  }

  /** Starts the thread and resolves once its connection is open and set up. */
  static start(file: string): Promise<SqliteWriter> {
    const worker = startThread(file);
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      const onExit = (code: number) => reject(new Error(`the SQLite writer thread exited (code ${code})`));
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.once('message', (reply: WriterReply) => {
        worker.off('error', onError);
        worker.off('exit', onExit);
        if ('error' in reply) {
          reject(errorOf(reply.error));
          return;
        }
        const writer = new SqliteWriter(worker);
        worker.unref();
        resolve(writer);
      });
    });
  }

  execute(sql: string, parameters: readonly unknown[]): Promise<WriterResult> {
    return this.request({ type: 'query', id: this.nextId++, sql, parameters });
  }

  async close(): Promise<void> {
    if (this.failure !== undefined) return;
    await this.request({ type: 'close', id: this.nextId++ });
    await this.worker.terminate();
  }

  /**
   * Ends the thread at once, mid-statement if need be, as a crash would: what it owed fails
   * with WriterLostError and its connection's open transaction is rolled back.
   */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  private request(message: WriterRequest): Promise<WriterResult> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      // The thread keeps the process alive only while it owes an answer: a CLI command that
      // awaits a write must not exit before it, and an idle server's thread must not hold it.
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(message.id, { resolve, reject });
      this.worker.postMessage(message);
    });
  }

  private settle(reply: WriterReply): void {
    const waiting = this.pending.get(reply.id);
    if (waiting === undefined) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if ('error' in reply) {
      waiting.reject(errorOf(reply.error));
    } else if ('rows' in reply) {
      waiting.resolve({ rows: reply.rows.map(withBuffers) });
    } else {
      waiting.resolve(reply);
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(this.failure);
    this.pending.clear();
  }
}

/**
 * The same error class and code as a statement run on this thread: store/errors.ts classifies
 * by them (constraint, busy, schema, not a database).
 */
function errorOf({ name, message, code }: { name: string; message: string; code?: string }): Error {
  if (code !== undefined) return new SqliteError(message, code);
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Blobs come back as Uint8Array (structured clone drops Buffer); callers expect Buffers. */
function withBuffers(row: unknown): unknown {
  if (row === null || typeof row !== 'object') return row;
  const values = row as Record<string, unknown>;
  for (const key in values) values[key] = asBuffer(values[key]);
  return row;
}
