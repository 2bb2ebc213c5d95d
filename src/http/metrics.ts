import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type {} from '@fastify/swagger';
import cluster from 'node:cluster';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { joinProcessMetrics, metricsOfAllProcesses } from './process-metrics.js';
import type { Config } from '../config/config.js';
import { bearerToken } from './auth.js';
import { makeProblem, sendProblem } from './problem.js';

/**
 * Who may read /metrics. Route names, request counts and process internals help an attacker
 * map the service, so production never serves them to everyone.
 */
export type MetricsAccess =
  | { readonly kind: 'open' }
  | { readonly kind: 'token'; readonly token: string }
  /** Production without ORCHARD_METRICS_TOKEN: nobody. */
  | { readonly kind: 'closed' };

/** A configured token wins; without one, development is open and production closed. */
export function metricsAccess(mode: Config['mode'], token: string | undefined): MetricsAccess {
  if (token !== undefined) return { kind: 'token', token };
  return mode === 'development' ? { kind: 'open' } : { kind: 'closed' };
}

function presentsToken(request: FastifyRequest, token: string): boolean {
  const presented = bearerToken(request.headers.authorization);
  if (presented === undefined) return false;
  // Digests have equal lengths, so the comparison takes the same time whatever was sent.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(token));
}

/**
 * Prometheus metrics on a registry of this app's own (not prom-client's global one), so
 * several apps in one process — tests, the sandbox — never collide on registration.
 */
export function registerMetrics(app: FastifyInstance, access: MetricsAccess = { kind: 'open' }): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'orchard_' });
  const requests = new Counter({
    name: 'orchard_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'orchard_http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the URL: ids in URLs would make one time series per customer.
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (access.kind === 'closed') {
      return sendProblem(
        reply.header('cache-control', 'no-store'),
        makeProblem(
          404,
          'METRICS_DISABLED',
          'Metrics are off in production until ORCHARD_METRICS_TOKEN is set; Prometheus then sends it as "Authorization: Bearer <token>".',
        ),
      );
    }
    if (access.kind === 'token' && !presentsToken(request, access.token)) {
      return sendProblem(
        reply.header('www-authenticate', 'Bearer realm="orchard-metrics"').header('cache-control', 'no-store'),
        makeProblem(401, 'METRICS_TOKEN_INVALID', 'Send the ORCHARD_METRICS_TOKEN as "Authorization: Bearer <token>".'),
      );
    }
    if (!cluster.isWorker) return reply.type(registry.contentType).send(await registry.metrics());
    // One of several processes behind one port: Prometheus gets all of them, merged by the supervisor.
    const merged = await metricsOfAllProcesses();
    if ('error' in merged) {
      return sendProblem(
        reply.header('cache-control', 'no-store'),
        makeProblem(
          503,
          'METRICS_UNAVAILABLE',
          `The Orchard processes' metrics could not be gathered (${merged.error}). Try again.`,
        ),
      );
    }
    return reply.type(merged.contentType).send(merged.text);
  });
  if (cluster.isWorker) joinProcessMetrics(registry);
  return registry;
}
