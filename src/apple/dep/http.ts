/**
 * One HTTP exchange with the DEP service: URL joining, the headers Apple requires on every
 * request, a per-attempt timeout, and a classification of network failures by whether the
 * request may have reached Apple. No retries and no authentication here.
 */

export type FetchLike = (input: URL | string, init: RequestInit) => Promise<Response>;

/** JSON bodies as Apple's own clients label them (apple-protocols.md §2). */
export const DEP_JSON = 'application/json;charset=UTF8';

export interface HttpExchange {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** Already serialised JSON; sent with Content-Type DEP_JSON. */
  readonly body?: string;
  readonly timeoutMs: number;
  /** The caller's cancellation; aborting it is not a network failure and is never retried. */
  readonly signal?: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/**
 * The request failed without an HTTP answer. `mayHaveReachedServer` is false only when the
 * connection was never established (refused, DNS, connect timeout): only then is a
 * non-idempotent call safe to repeat.
 */
export class NetworkFailure extends Error {
  constructor(
    readonly reason: string,
    readonly mayHaveReachedServer: boolean,
  ) {
    super(reason);
    this.name = 'NetworkFailure';
  }
}

// undici's codes (in `error.cause.code`) for failures before any byte of the request was sent.
const NOT_SENT: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
};

/**
 * Joins a base URL that may carry a path prefix (the sandbox lives at `…/sandbox/dep`) with an
 * endpoint path. `new URL('/session', base)` would drop the prefix, so the paths are joined
 * by hand.
 */
export function depUrl(baseUrl: URL, path: string, query?: Readonly<Record<string, string>>): URL {
  const url = new URL(baseUrl.href);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  url.search = '';
  url.hash = '';
  for (const [name, value] of Object.entries(query ?? {})) url.searchParams.append(name, value);
  return url;
}

export async function sendOnce(fetchImpl: FetchLike, exchange: HttpExchange): Promise<HttpResponse> {
  const { signal } = exchange;
  signal?.throwIfAborted();
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), exchange.timeoutMs);
  const onCallerAbort = (): void => timeout.abort();
  signal?.addEventListener('abort', onCallerAbort, { once: true });

  const headers: Record<string, string> = { Accept: 'application/json', ...exchange.headers };
  if (exchange.body !== undefined) headers['Content-Type'] = DEP_JSON;
  try {
    const response = await fetchImpl(exchange.url, {
      method: exchange.method,
      headers,
      ...(exchange.body === undefined ? {} : { body: exchange.body }),
      signal: timeout.signal,
      // Never follow a redirect: it would carry X-ADM-Auth-Session to wherever it points.
      redirect: 'manual',
    });
    // The timeout covers reading the body too: a stalled body is as dead as a stalled header.
    const body = await response.text();
    return { status: response.status, headers: response.headers, body };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (timeout.signal.aborted) throw new NetworkFailure(`timed out after ${exchange.timeoutMs} ms`, true);
    // undici reports every network failure as `TypeError: fetch failed` with the cause attached;
    // anything else (an invalid header value, say) is a bug to surface, not to retry.
    if (error instanceof Error && (error.message === 'fetch failed' || error.cause !== undefined))
      throw classify(error);
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onCallerAbort);
  }
}

function classify(error: Error): NetworkFailure {
  const cause = error.cause ?? error;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : '';
  const notSent = NOT_SENT[code];
  if (notSent !== undefined) return new NetworkFailure(notSent, false);
  // Reset, closed mid-exchange, TLS or protocol errors: the request may have been processed.
  return new NetworkFailure(code === '' ? 'connection failed' : `connection failed (${code})`, true);
}
