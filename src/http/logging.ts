import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';

/**
 * Log fields that may hold a credential. Fastify's default request serializer already
 * leaves headers out; these paths guard the places where code logs more than that.
 */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'apiKey',
  '*.apiKey',
  'key',
  '*.key',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'privateKey',
  '*.privateKey',
  'currentPassword',
  '*.currentPassword',
  'newPassword',
  '*.newPassword',
  'smtpUrl',
  '*.smtpUrl',
];

/** Longer client ids are cut: the field is for matching a client's log to ours, not for storage. */
const CLIENT_REQUEST_ID_MAX = 128;

/**
 * Orchard always makes its own request id (a client-chosen one could collide with, or pass
 * for, another request's in our logs); the id a client or proxy sent in X-Request-Id is kept
 * beside it as `clientRequestId`, so the two logs can still be joined.
 */
export function requestLogBindings(
  bindings: Record<string, unknown>,
  headers: IncomingHttpHeaders,
): Record<string, unknown> {
  const sent = headers['x-request-id'];
  const clientRequestId = (Array.isArray(sent) ? sent[0] : sent)?.slice(0, CLIENT_REQUEST_ID_MAX);
  return clientRequestId === undefined ? bindings : { ...bindings, clientRequestId };
}

export const childLoggerFactory: NonNullable<FastifyServerOptions['childLoggerFactory']> = (
  logger,
  bindings,
  options,
  rawReq,
) => logger.child(requestLogBindings(bindings, rawReq.headers), options);

/**
 * One log line per request, written when it is answered: method, URL, client, status and
 * time. Fastify's own request logging writes two (one on arrival, one on answer), and on a
 * busy API every line costs a serialization, a redaction pass and a write. Fastify is told
 * not to log requests itself (its log controller's disableRequestLogging) when this is registered.
 */
export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    done();
  });
}
