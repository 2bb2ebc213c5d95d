import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import type { AccountService } from '../domain/accounts.js';
import { SESSION_IDLE_MS } from '../domain/accounts.js';
import { ForbiddenError, UnauthenticatedError } from '../domain/errors.js';
import { requireWriteAccess, type Principal } from '../domain/principal.js';

export const SESSION_COOKIE = 'orchard_session';
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** Present when the request came with a valid session cookie. */
    sessionToken: string | null;
  }
  interface FastifyContextConfig {
    /** Routes that answer without a principal (sign-in itself). */
    public?: boolean;
    /**
     * Writes a read-only user or key may still make, because they touch only the caller's own
     * account (its password, its sessions, its keys). Every other write is refused for them.
     */
    selfService?: boolean;
  }
}

/**
 * The CSRF token is derived from the session token, so nothing extra is stored and a page
 * on another origin, which cannot read the HttpOnly cookie, cannot compute it.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('orchard-csrf').digest('base64url');
}

function csrfMatches(sessionToken: string, presented: string | string[] | undefined): boolean {
  if (typeof presented !== 'string') return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const actual = Buffer.from(presented);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Requests that change nothing: no CSRF token needed, and open to read-only users. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AuthOptions {
  readonly accounts: AccountService;
  readonly secureCookies: boolean;
}

/** The token of an `Authorization: Bearer <token>` header; undefined for any other header or none. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}

/** Who sent a request: the principal, and the session token when it came by cookie. */
export interface RequestIdentity {
  readonly principal: Principal;
  readonly sessionToken: string | null;
}

/**
 * Reads the API key or session cookie. Null when neither is sent (or the session is unknown
 * or expired); throws for a dead API key and for a session write without its CSRF token.
 * Used by /api/v1 and by the sandbox portal mounted in Orchard, so both admit the same people.
 */
export async function authenticateRequest(
  request: FastifyRequest,
  accounts: AccountService,
): Promise<RequestIdentity | null> {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const key = bearerToken(authorization);
    const principal = key === undefined ? undefined : await accounts.authenticateApiKey(key, request.ip);
    // A wrong key is an error even on public routes: a script should learn at once that its key is dead.
    if (principal === undefined) {
      throw new UnauthenticatedError(
        'INVALID_API_KEY',
        'The API key is not valid: it may have been revoked or mistyped. Send "Authorization: Bearer <key>" with an active key.',
      );
    }
    return { principal, sessionToken: null };
  }
  const sessionToken = request.cookies[SESSION_COOKIE];
  if (sessionToken === undefined || sessionToken === '') return null;
  const session = await accounts.authenticateSession(sessionToken, request.ip);
  if (session === undefined) return null;
  if (!SAFE_METHODS.has(request.method) && !csrfMatches(sessionToken, request.headers[CSRF_HEADER])) {
    throw new ForbiddenError(
      'This request is missing its CSRF token. Reload the page and try again; API clients should use an API key instead of the session cookie.',
      'CSRF_FAILED',
    );
  }
  return { principal: session.principal, sessionToken };
}

/** Registers request authentication for every route in the plugin's scope. */
export function registerAuth(app: FastifyInstance, options: AuthOptions): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('sessionToken', null);
  app.addHook('onRequest', async (request) => {
    const identity = await authenticateRequest(request, options.accounts);
    if (identity !== null) {
      request.principal = identity.principal;
      request.sessionToken = identity.sessionToken;
      const { public: open, selfService } = request.routeOptions.config;
      // A route anyone may call without signing in refuses no one for being read-only either.
      if (!SAFE_METHODS.has(request.method) && open !== true && selfService !== true) {
        requireWriteAccess(identity.principal);
      }
    } else if (request.routeOptions.config.public !== true) {
      throw new UnauthenticatedError();
    }
  });
}

export function setSessionCookie(reply: FastifyReply, token: string, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    // Lax, not Strict: a technician following a link from a ticket to Orchard stays signed in.
    // Writes are still protected by the CSRF header.
    sameSite: 'lax',
    secure,
    path: '/',
    maxAge: Math.floor(SESSION_IDLE_MS / 1000),
  });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}

export function requirePrincipal(request: FastifyRequest): Principal {
  if (request.principal === null) throw new UnauthenticatedError();
  return request.principal;
}
