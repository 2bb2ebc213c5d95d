/**
 * The DEP auth session (apple-protocols.md §2): `GET /session` signed with OAuth 1.0a gives an
 * `auth_session_token`, sent as `X-ADM-Auth-Session` on every later call. Apple publishes no
 * lifetime and may hand out a replacement in the `X-ADM-Auth-Session` header of any response,
 * so the session is whatever Apple said last, and is renewed when a call is refused.
 */
import type { ServerToken } from '../server-token.js';
import { buildAuthorizationHeader } from '../oauth1.js';

export const SESSION_HEADER = 'X-ADM-Auth-Session';

/**
 * The `Authorization` header for one `GET /session` attempt. Every attempt needs its own nonce
 * and timestamp: a retried request with the same nonce is a replay to an OAuth server.
 */
export function sessionAuthorization(token: ServerToken, sessionUrl: URL, now: Date, nonce: string): string {
  return buildAuthorizationHeader({
    method: 'GET',
    url: sessionUrl.href,
    consumerKey: token.consumerKey,
    consumerSecret: token.consumerSecret,
    token: token.accessToken,
    tokenSecret: token.accessSecret,
    nonce,
    timestamp: Math.floor(now.getTime() / 1000),
  });
}

/** The session token from a `/session` answer, or null when the body does not carry one. */
export function parseSessionResponse(body: string): string | null {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== 'object' || parsed === null) return null;
    const value = (parsed as Record<string, unknown>)['auth_session_token'];
    return typeof value === 'string' && value !== '' ? value : null;
  } catch {
    return null;
  }
}

/**
 * Holds the current session token for one server token. Concurrent callers that need a
 * session share a single in-flight `/session` call instead of each logging in (which would
 * also make each new session invalidate the others').
 */
export class DepSession {
  #token: string | null = null;
  #pending: Promise<string> | null = null;

  /** @param login performs `GET /session` (with its own retries) and returns the token. */
  constructor(private readonly login: () => Promise<string>) {}

  /** The current session token, logging in first when there is none. */
  current(): Promise<string> {
    if (this.#pending !== null) return this.#pending;
    if (this.#token !== null) return Promise.resolve(this.#token);
    return this.#authenticate();
  }

  /**
   * A session to replace `stale`, which Apple just refused. When another caller has already
   * replaced it (or is doing so), that session is used rather than logging in again.
   */
  renew(stale: string): Promise<string> {
    if (this.#pending !== null) return this.#pending;
    if (this.#token !== null && this.#token !== stale) return Promise.resolve(this.#token);
    this.#token = null;
    return this.#authenticate();
  }

  /** Apple may rotate the session on any response, success or error: use the newest. */
  adopt(headers: Headers): void {
    const rotated = headers.get(SESSION_HEADER)?.trim();
    if (rotated !== undefined && rotated !== '') this.#token = rotated;
  }

  #authenticate(): Promise<string> {
    this.#pending ??= this.login()
      .then((token) => {
        this.#token = token;
        return token;
      })
      .finally(() => {
        this.#pending = null;
      });
    return this.#pending;
  }
}
