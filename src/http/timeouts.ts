import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * Drops a request whose body stops arriving for `idleMs`. Node's requestTimeout bounds the
 * whole request, but generously, so that a large upload on a slow line fits; a client that sent
 * half a body and went quiet is cut off sooner by this. The clock runs only while the body is
 * read: not during authentication before it, nor in the handler after it.
 */
export function registerBodyIdleTimeout(app: FastifyInstance, idleMs: number): void {
  app.addHook('preParsing', async (request, _reply, payload) => {
    const { raw } = request;
    if (!raw.complete) {
      // With no listener for 'timeout' on the request, Node destroys the idle socket.
      setSocketTimeout(raw.socket, idleMs);
      // 'end', not a later hook: a multipart body is read by its handler.
      raw.once('end', () => setSocketTimeout(raw.socket, app.server.timeout));
    }
    return payload;
  });
}

/** Injected requests (app.inject, in tests) come with a stand-in socket that has no timer. */
function setSocketTimeout(socket: Socket, ms: number): void {
  if (typeof socket.setTimeout === 'function') socket.setTimeout(ms);
}
