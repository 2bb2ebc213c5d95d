/**
 * The worker thread that owns Orchard's SQLite writer connection. Every write and every
 * transaction runs here, so a sync's page (a few hundred milliseconds of SQL a second) never
 * holds the main thread's event loop; the main thread keeps its own connection for reads,
 * which WAL lets proceed while this one writes. Requests are served one at a time, in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PreparedStatements, openOrchardSqlite } from './sqlite-connection.js';
import type { WriterReply, WriterRequest } from './sqlite-writer.js';

const port = parentPort;
if (port === null) throw new Error('sqlite-writer-thread runs as a worker thread');

const { file } = workerData as { file: string };
const statements = new PreparedStatements(openOrchardSqlite(file, 'writer'));

/** Blobs arrive as Uint8Array (structured clone drops Buffer); bind them as Buffers. */
function bindable(parameters: readonly unknown[]): unknown[] {
  return parameters.map((value) =>
    value instanceof Uint8Array && !Buffer.isBuffer(value)
      ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
      : value,
  );
}

function serve(request: Extract<WriterRequest, { type: 'query' }>): WriterReply {
  try {
    const statement = statements.get(request.sql);
    const parameters = bindable(request.parameters);
    if (statement.reader) return { id: request.id, rows: statement.all(parameters) };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { id: request.id, changes, lastInsertRowid };
  } catch (error) {
    const { name, message, code } = error as { name?: unknown; message?: unknown; code?: unknown };
    return {
      id: request.id,
      error: {
        name: typeof name === 'string' ? name : 'Error',
        message: typeof message === 'string' ? message : String(error),
        ...(typeof code === 'string' ? { code } : {}),
      },
    };
  }
}

port.on('message', (request: WriterRequest) => {
  if (request.type === 'close') {
    statements.close();
    port.postMessage({ id: request.id, changes: 0, lastInsertRowid: 0 } satisfies WriterReply);
    port.close();
    return;
  }
  port.postMessage(serve(request));
});
port.postMessage({ id: 0, changes: 0, lastInsertRowid: 0 } satisfies WriterReply);
