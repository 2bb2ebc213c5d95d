import type { FastifyServerOptions } from 'fastify';
import type { TrustProxy } from '../config/config.js';

/**
 * ORCHARD_TRUST_PROXY as Fastify's `trustProxy`. The client address is then the first
 * X-Forwarded-For entry, counted from the right, that no trusted proxy wrote; X-Forwarded-Proto
 * and -Host are believed only from a trusted peer.
 *
 * Fastify 5 treats a bare number as "trust nothing" (a hop count cannot tell a proxy from a
 * client that connects directly), so hops are given as a function: hop 0 is the socket peer,
 * hop 1 the rightmost X-Forwarded-For entry, and so on. That is only sound when Orchard cannot
 * be reached except through those proxies, which the README says.
 */
export function fastifyTrustProxy(trust: TrustProxy): NonNullable<FastifyServerOptions['trustProxy']> {
  if (trust === false) return false;
  if (typeof trust === 'number') return (_address: string, hop: number) => hop < trust;
  return [...trust];
}
