/**
 * The worker thread that owns Orchard's SQLite writer connection. Every write and every
 * transaction runs here, so a sync's page (a few hundred milliseconds of SQL a second) never
 * holds the main thread's event loop; the main thread keeps its own connection for reads,
 * which WAL lets proceed while this one writes. Requests are served one at a time, in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PreparedStatements, openOrchardSqlite } from './sqlite-connection.js';
import { asBuffer } from './sqlite-driver.js';
import type { WriterReply, WriterRequest } from './sqlite-writer.js';

const port = parentPort;
if (port === null) throw new Error('sqlite-writer-thread runs as a worker thread');

/**
 * An error as plain data: a thrown error reaches the main thread through structured clone,
 * which keeps neither better-sqlite3's error class nor its `code` (the main thread saw
 * "[object Object]" for a file that is not a database).
 */
function errorReply(id: number, error: unknown): WriterReply {
  const { name, message, code } = error as { name?: unknown; message?: unknown; code?: unknown };
  return {
    id,
    error: {
      name: typeof name === 'string' ? name : 'Error',
      message: typeof message === 'string' ? message : String(error),
      ...(typeof code === 'string' ? { code } : {}),
    },
  };
}

function serve(statements: PreparedStatements, request: Extract<WriterRequest, { type: 'query' }>): WriterReply {
  try {
    const statement = statements.get(request.sql);
    // Blobs arrive as Uint8Array (structured clone drops Buffer); bind them as Buffers.
    const parameters = request.parameters.map(asBuffer);
    if (statement.reader) return { id: request.id, rows: statement.all(parameters) };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { id: request.id, changes, lastInsertRowid };
  } catch (error) {
    return errorReply(request.id, error);
  }
}

const { file } = workerData as { file: string };
let statements: PreparedStatements;
try {
  statements = new PreparedStatements(openOrchardSqlite(file, 'writer'));
} catch (error) {
  // Reply 0 is the start's: an error there fails the start with SQLite's code.
  port.postMessage(errorReply(0, error));
  port.close();
  process.exit(1);
}

port.on('message', (request: WriterRequest) => {
  if (request.type === 'close') {
    statements.close();
    port.postMessage({ id: request.id, changes: 0, lastInsertRowid: 0 } satisfies WriterReply);
    port.close();
    return;
  }
  port.postMessage(serve(statements, request));
});
port.postMessage({ id: 0, changes: 0, lastInsertRowid: 0 } satisfies WriterReply);
