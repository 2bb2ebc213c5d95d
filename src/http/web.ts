import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { projectRoot } from '../config/paths.js';
import { makeProblem, sendProblem } from './problem.js';

/** Paths the web app never owns: unknown URLs under them are 404s, not the SPA. */
const NOT_SPA_PREFIXES = ['/api/', '/mdm/', '/sandbox/', '/assets/', '/healthz', '/metrics', '/docs', '/openapi.json'];

/**
 * Serves the built React app and falls back to index.html for client-side routes, so a
 * technician can reload or bookmark /customers/… .
 */
export async function registerWebApp(
  app: FastifyInstance,
  webDist = path.join(projectRoot(), 'web', 'dist'),
): Promise<void> {
  const built = fs.existsSync(path.join(webDist, 'index.html'));
  if (built) {
    const assets = path.join(webDist, 'assets') + path.sep;
    await app.register(fastifyStatic, {
      root: webDist,
      wildcard: false,
      index: false,
      cacheControl: false,
      // Hashed asset names can be cached forever; index.html (asked for by name too) and the
      // other unhashed files must be revalidated. Set once the file is found, so a 404 never
      // carries the year-long header.
      setHeaders: (res, file) =>
        res.setHeader('Cache-Control', file.startsWith(assets) ? 'public, max-age=31536000, immutable' : 'no-cache'),
    });
    // wildcard: false gives each file found at start a route of its own; this one answers the rest.
    app.get('/assets/*', (request, reply) => reply.sendFile(`assets/${(request.params as { '*': string })['*']}`));
  }

  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split('?')[0] ?? '/';
    const isApi = NOT_SPA_PREFIXES.some((p) => url === p.replace(/\/$/, '') || url.startsWith(p));
    if (isApi || (request.method !== 'GET' && request.method !== 'HEAD')) {
      // A 404 a cache kept would outlive the deploy that adds the file.
      return sendProblem(
        reply.header('Cache-Control', 'no-store'),
        makeProblem(404, 'NOT_FOUND', `There is no ${request.method} ${url} endpoint. See /docs for the API.`),
      );
    }
    if (!built) {
      return reply
        .code(503)
        .type('text/html')
        .send(
          '<!doctype html><title>Orchard</title><p>The web app is not built. Run <code>npm run build:web</code> (npm start does it for you).</p>',
        );
    }
    return reply.header('Cache-Control', 'no-cache').sendFile('index.html');
  });
}
