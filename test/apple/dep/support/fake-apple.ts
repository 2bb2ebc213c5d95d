/**
 * A small stand-in for Apple's DEP service, on a real `node:http` server on 127.0.0.1, with
 * just enough behaviour to drive each client test: `GET /session` checks the OAuth signature
 * for real (with `verifySignature` and the token's secrets) and issues numbered sessions;
 * other routes require a live session unless a test says otherwise, and answer whatever the
 * test scripted. Every request is recorded.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAuthorizationHeader, verifySignature } from '../../../../src/apple/oauth1.js';
import type { DepClientOptions } from '../../../../src/apple/dep/index.js';
import { syntheticToken } from '../../support/tokens.js';

export const TOKEN = syntheticToken;
/** Fixed test time: OAuth timestamps and HTTP-date Retry-After are computed from it. */
export const NOW = new Date('2025-06-01T12:00:00Z');

export interface Recorded {
  readonly method: string;
  /** Path without the fake's prefix and without the query, e.g. `/server/devices`. */
  readonly path: string;
  /** The full URL as received, prefix and query included (what OAuth signs). */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly json: unknown;
}

export type Reply =
  | {
      readonly status?: number;
      readonly headers?: Readonly<Record<string, string>>;
      readonly body?: unknown;
      readonly delayMs?: number;
    }
  | { readonly destroy: true }
  | { readonly hang: true };

/** `nth` counts calls to this route from 1. */
export type Route = (request: Recorded, nth: number) => Reply | Promise<Reply>;

export interface FakeApple {
  /** Base URL to give the client, prefix included. */
  readonly baseUrl: string;
  readonly requests: Recorded[];
  /** Requests to `METHOD /path`. */
  calls(key: string): Recorded[];
  /** Scripts `METHOD /path`: a handler, one reply for every call, or one reply per call (the last repeats). */
  route(key: string, script: Route | Reply | readonly Reply[], options?: { readonly requireSession?: boolean }): void;
  /** Makes every session issued so far unknown, as after Apple expires them. */
  expireSessions(): void;
  /** Accepts `session` from now on (a rotated session the fake hands out in a header). */
  acceptSession(session: string): void;
  close(): Promise<void>;
}

export async function startFakeApple(options: { readonly prefix?: string } = {}): Promise<FakeApple> {
  const prefix = options.prefix ?? '';
  const requests: Recorded[] = [];
  const routes = new Map<string, { script: Route; requireSession: boolean }>();
  const counts = new Map<string, number>();
  const sessions = new Set<string>();
  let issued = 0;

  const sessionRoute: Route = (request) => {
    const authorization = request.headers.authorization;
    if (authorization === undefined) return { status: 401, body: 'oauth_problem=parameter_absent' };
    const parsed = parseAuthorizationHeader(authorization);
    const valid =
      parsed.params['oauth_consumer_key'] === TOKEN.consumerKey &&
      parsed.params['oauth_token'] === TOKEN.accessToken &&
      verifySignature(
        { method: request.method, url: request.url, authorization: parsed },
        { consumerSecret: TOKEN.consumerSecret, tokenSecret: TOKEN.accessSecret },
      );
    if (!valid) return { status: 401, body: 'signature_invalid' };
    const session = `session-${++issued}`;
    sessions.add(session);
    return { status: 200, body: { auth_session_token: session } };
  };
  routes.set('GET /session', { script: sessionRoute, requireSession: false });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const url = `http://${req.headers.host ?? ''}${req.url ?? '/'}`;
        const fullPath = new URL(url).pathname;
        const path = fullPath.startsWith(prefix) ? fullPath.slice(prefix.length) : `(outside prefix)${fullPath}`;
        let json: unknown = undefined;
        try {
          json = body === '' ? undefined : JSON.parse(body);
        } catch {
          json = undefined;
        }
        const recorded: Recorded = { method: req.method ?? '', path, url, headers: req.headers, body, json };
        requests.push(recorded);

        const key = `${recorded.method} ${path}`;
        const nth = (counts.get(key) ?? 0) + 1;
        counts.set(key, nth);
        const route = routes.get(key);
        let reply: Reply;
        if (route === undefined) reply = { status: 404, body: 'NOT_FOUND' };
        else if (route.requireSession && !sessions.has(String(req.headers['x-adm-auth-session'] ?? ''))) {
          reply = { status: 401, body: 'UNAUTHORIZED' };
        } else reply = await route.script(recorded, nth);

        if ('destroy' in reply) {
          req.socket.destroy();
          return;
        }
        if ('hang' in reply) return;
        if (reply.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
        const text =
          reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status ?? 200, {
          'Content-Type': typeof reply.body === 'string' ? 'text/plain;charset=UTF8' : 'application/json;charset=UTF8',
          ...reply.headers,
        });
        res.end(text);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}${prefix}`,
    requests,
    calls: (key) => requests.filter((request) => `${request.method} ${request.path}` === key),
    route(key, script, routeOptions = {}) {
      const handler: Route =
        typeof script === 'function'
          ? script
          : Array.isArray(script)
            ? (_request, nth) => script[Math.min(nth, script.length) - 1] ?? { status: 500 }
            : () => script as Reply;
      routes.set(key, { script: handler, requireSession: routeOptions.requireSession ?? true });
    },
    expireSessions: () => sessions.clear(),
    acceptSession: (session) => sessions.add(session),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Client options for tests: fixed clock, recorded (instant) sleeps, mid-range jitter. */
export function testOptions(fake: { readonly baseUrl: string }, overrides: Partial<DepClientOptions> = {}) {
  const sleeps: number[] = [];
  const options: DepClientOptions = {
    baseUrl: fake.baseUrl,
    token: TOKEN,
    clock: { now: () => NOW },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...overrides,
  };
  return { options, sleeps };
}
