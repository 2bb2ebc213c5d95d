import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * Drops a request whose body stops arriving for `idleMs`. Node's requestTimeout bounds the
 * whole request, but generously, so that a large upload on a slow line fits; a client that sent
 * half a body and went quiet is cut off sooner by this. The clock runs only while the body is
 * read: not during authentication before it, nor in the handler after it.
 */
export function registerBodyIdleTimeout(app: FastifyInstance, idleMs: number): void {
  app.addHook('preParsing', async (request, reply, payload) => {
    const { raw } = request;
    // A request without a body can still be "not complete" here: when every hook before this
    // one is synchronous, it runs while Node's parser has read the headers only.
    if (!raw.complete && hasBody(raw.headers)) {
      // With no listener for 'timeout' on the request, Node destroys the idle socket.
      setSocketTimeout(raw.socket, idleMs);
      // 'end', not a later hook: a multipart body is read by its handler. Once the answer is
      // sent, Node has put the socket on its keep-alive timer, which must not be undone: a body
      // the handler never read ends only then, and clearing the timer left idle kept-alive
      // connections open for good.
      raw.once('end', () => {
        if (!reply.raw.writableFinished) setSocketTimeout(raw.socket, app.server.timeout);
      });
    }
    return payload;
  });
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
}

/** Injected requests (app.inject, in tests) come with a stand-in socket that has no timer. */
function setSocketTimeout(socket: Socket, ms: number): void {
  if (typeof socket.setTimeout === 'function') socket.setTimeout(ms);
}
