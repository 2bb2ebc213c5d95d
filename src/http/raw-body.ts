import type { FastifyInstance } from 'fastify';

/**
 * Devices and SCEP clients send binary bodies (CMS, plists) under whatever Content-Type they
 * like, or none at all (apple-protocols.md §3.1: "don't depend on the request Content-Type").
 * Inside an MDM scope every body is taken as raw bytes, up to `limit`, and each route decodes
 * what it expects.
 */
export function acceptRawBodies(scope: FastifyInstance, limit: number): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limit }, (_request, body, done) => {
    done(null, body);
  });
}

/** The body of a request in an {@link acceptRawBodies} scope: empty when none was sent. */
export function rawBody(body: unknown): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}
