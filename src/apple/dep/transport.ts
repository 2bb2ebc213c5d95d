/**
 * The authenticated transport every DEP endpoint goes through (nanodep's `client.Transport`
 * shape): it adds Apple's required headers, logs in with OAuth 1.0a when there is no session,
 * sends and rotates `X-ADM-Auth-Session`, logs in again once when a call is refused for a
 * stale session, retries what is worth retrying, and turns Apple's error answers into typed
 * errors. Endpoint functions see only `DepRequester.request` and never OAuth.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { systemClock, type Clock } from '../../domain/clock.js';
import type { ServerToken } from '../server-token.js';
import { errorFromResponse, needsNewSession } from './error-mapping.js';
import { DepUnexpectedResponseError, type DepCall } from './errors.js';
import { depUrl, sendOnce, type FetchLike, type HttpResponse } from './http.js';
import { withRetries, type RetryCall, type RetryPolicy, type Sleep } from './retry.js';
import { DepSession, parseSessionResponse, sessionAuthorization, SESSION_HEADER } from './session.js';

export const APPLE_DEP_BASE_URL = 'https://mdmenrollment.apple.com';
/**
 * Apple answers 400 USER_AGENT_MISSING/INVALID without one. The composition root should pass
 * `Orchard/<package version>`; this fallback keeps a bare client valid.
 */
export const DEFAULT_USER_AGENT = 'Orchard/0.1.0';
/** Features are gated by this header; 7 is the oldest version this client is written for. */
export const DEFAULT_PROTOCOL_VERSION = 7;

export interface DepTransportOptions {
  /** Apple's service, or the sandbox, which may sit under a path (`http://host/sandbox/dep`). */
  readonly baseUrl: string | URL;
  readonly token: ServerToken;
  /** Default DEFAULT_USER_AGENT. */
  readonly userAgent?: string;
  /** `X-Server-Protocol-Version`; default 7. */
  readonly protocolVersion?: number | string;
  /** Per attempt, body included; default 30 000. */
  readonly timeoutMs?: number;
  /** Attempts per call, first included; default 5. */
  readonly maxAttempts?: number;
  /** Longest Retry-After honoured by sleeping; longer fails with DEP_THROTTLED. Default 5 minutes. */
  readonly maxRetryAfterMs?: number;
  /** Backoff base; default 1 000. */
  readonly baseDelayMs?: number;
  /** Backoff ceiling; default 60 000. */
  readonly maxDelayMs?: number;
  /** OAuth timestamps and HTTP-date Retry-After. */
  readonly clock?: Clock;
  readonly sleep?: Sleep;
  /** Backoff jitter, uniform in [0, 1). */
  readonly random?: () => number;
  /** OAuth nonce; default 16 random bytes in hex. */
  readonly nonce?: () => string;
  readonly fetch?: FetchLike;
}

export interface DepRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Endpoint path, e.g. `/server/devices`; joined to the base URL's path. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** Serialised as JSON. */
  readonly body?: unknown;
  /** False for calls that change state at Apple; see RetryCall.idempotent. Default true. */
  readonly idempotent?: boolean;
  readonly signal?: AbortSignal;
}

/** Per-call options every endpoint function takes. */
export interface CallOptions {
  /** Cancels the call, including retry sleeps; the abort reason is thrown as is. */
  readonly signal?: AbortSignal;
}

/** What endpoint functions need: send one call, get Apple's parsed JSON answer or a DepError. */
export interface DepRequester {
  request(request: DepRequest): Promise<unknown>;
}

const defaultSleep: Sleep = (ms, signal) => delay(ms, undefined, signal === undefined ? {} : { signal });

export class DepTransport implements DepRequester {
  readonly #baseUrl: URL;
  readonly #host: string;
  readonly #token: ServerToken;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #timeoutMs: number;
  readonly #policy: RetryPolicy;
  readonly #nonce: () => string;
  readonly #fetch: FetchLike;
  readonly #session: DepSession;

  constructor(options: DepTransportOptions) {
    this.#baseUrl = new URL(options.baseUrl);
    this.#host = this.#baseUrl.host;
    this.#token = options.token;
    this.#headers = {
      'User-Agent': options.userAgent ?? DEFAULT_USER_AGENT,
      'X-Server-Protocol-Version': String(options.protocolVersion ?? DEFAULT_PROTOCOL_VERSION),
    };
    this.#timeoutMs = positive('timeoutMs', options.timeoutMs ?? 30_000);
    this.#policy = {
      maxAttempts: Math.floor(positive('maxAttempts', options.maxAttempts ?? 5)),
      maxRetryAfterMs: positive('maxRetryAfterMs', options.maxRetryAfterMs ?? 5 * 60_000),
      baseDelayMs: positive('baseDelayMs', options.baseDelayMs ?? 1_000),
      maxDelayMs: positive('maxDelayMs', options.maxDelayMs ?? 60_000),
      sleep: options.sleep ?? defaultSleep,
      random: options.random ?? Math.random,
      clock: options.clock ?? systemClock,
    };
    this.#nonce = options.nonce ?? (() => randomBytes(16).toString('hex'));
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#session = new DepSession(() => this.#login());
  }

  async request(request: DepRequest): Promise<unknown> {
    const call: DepCall = `${request.method} ${request.path}`;
    const url = depUrl(this.#baseUrl, request.path, request.query);
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const idempotent = request.idempotent ?? true;
    const retryCall: RetryCall = {
      call,
      host: this.#host,
      idempotent,
      ...(request.signal ? { signal: request.signal } : {}),
    };

    let sessionUsed = '';
    const attempt = async (): Promise<HttpResponse> => {
      sessionUsed = await this.#session.current();
      const response = await sendOnce(this.#fetch, {
        method: request.method,
        url,
        headers: { ...this.#headers, [SESSION_HEADER]: sessionUsed },
        ...(body === undefined ? {} : { body }),
        timeoutMs: this.#timeoutMs,
        ...(request.signal ? { signal: request.signal } : {}),
      });
      this.#session.adopt(response.headers);
      return response;
    };

    let response = await withRetries(this.#policy, retryCall, attempt);
    // Apple documents no session lifetime: a 401, or a 403 saying FORBIDDEN, means "log in
    // again". Once only — a second refusal with a fresh session is about the token itself.
    // Repeating is safe even for non-idempotent calls: Apple refused them unprocessed.
    if (needsNewSession(response.status, response.body)) {
      await this.#session.renew(sessionUsed);
      response = await withRetries(this.#policy, retryCall, attempt);
    }
    if (response.status >= 200 && response.status < 300) return parseJson(call, response.body);
    throw errorFromResponse(response.status, response.body, { call, host: this.#host, idempotent });
  }

  async #login(): Promise<string> {
    const call: DepCall = 'GET /session';
    // Signed with the URL actually requested, base path prefix included (RFC 5849 §3.4.1.2).
    const url = depUrl(this.#baseUrl, '/session');
    const response = await withRetries(this.#policy, { call, host: this.#host, idempotent: true }, () =>
      sendOnce(this.#fetch, {
        method: 'GET',
        url,
        headers: {
          ...this.#headers,
          Authorization: sessionAuthorization(this.#token, url, this.#policy.clock.now(), this.#nonce()),
        },
        timeoutMs: this.#timeoutMs,
      }),
    );
    if (response.status < 200 || response.status >= 300) {
      throw errorFromResponse(response.status, response.body, { call, host: this.#host, idempotent: true });
    }
    const session = parseSessionResponse(response.body);
    if (session === null) throw new DepUnexpectedResponseError(call, 'no auth_session_token in the answer');
    return session;
  }
}

function parseJson(call: DepCall, body: string): unknown {
  if (body.trim() === '') return null;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new DepUnexpectedResponseError(call, 'the answer is not JSON');
  }
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`DepTransport: ${name} must be a positive number`);
  return value;
}
