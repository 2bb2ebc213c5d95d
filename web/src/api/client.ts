import { ApiError } from './errors';
import type { ProblemDetails } from './types';

type Json = Record<string, unknown> | unknown[];

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  body?: Json;
  /** Raw bytes sent as they are (an uploaded file); excludes `body`. */
  rawBody?: Blob;
  /** Content-Type of `rawBody`; application/octet-stream unless given. */
  contentType?: string;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
  /** When false, a 401 answer does not end the session (used by the auth calls themselves). */
  handleUnauthorized?: boolean;
}

let csrfToken: string | null = null;
let unauthorizedHandler: (() => void) | null = null;
let csrfRefresher: (() => Promise<string | null>) | null = null;

/** The CSRF token from login or /auth/me; kept in memory only. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when any API call answers 401 (the session expired or was revoked). */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  unauthorizedHandler = handler;
}

/** Called once when a request fails with CSRF_FAILED, to fetch a fresh token before retrying. */
export function setCsrfRefresher(refresher: (() => Promise<string | null>) | null): void {
  csrfRefresher = refresher;
}

export function buildUrl(path: string, query?: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(path, options);
  if (response.ok) return parseBody<T>(response);

  let error = await toApiError(response);
  if (error.status === 403 && error.code === 'CSRF_FAILED' && csrfRefresher) {
    const fresh = await csrfRefresher().catch(() => null);
    if (fresh) {
      csrfToken = fresh;
      const retry = await send(path, options);
      if (retry.ok) return parseBody<T>(retry);
      error = await toApiError(retry);
    }
  }
  if (error.status === 401 && options.handleUnauthorized !== false) unauthorizedHandler?.();
  throw error;
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  let body: BodyInit | undefined;
  if (options.rawBody !== undefined) {
    headers['Content-Type'] = options.contentType ?? 'application/octet-stream';
    body = options.rawBody;
  } else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  try {
    return await fetch(buildUrl(path, options.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw ApiError.network(cause);
  }
}

async function parseBody<T>(response: Response): Promise<T> {
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  if (text === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(
      response.status,
      { title: 'Unexpected response' },
      'Orchard sent a response that is not valid JSON.',
    );
  }
}

async function toApiError(response: Response): Promise<ApiError> {
  const fallback = response.statusText
    ? `The request failed: ${response.status} ${response.statusText}.`
    : `The request failed with status ${response.status}.`;
  const contentType = response.headers.get('Content-Type') ?? '';
  let problem: ProblemDetails = {};
  if (contentType.includes('json')) {
    try {
      const body: unknown = await response.json();
      if (body && typeof body === 'object') problem = readProblem(body as Record<string, unknown>);
    } catch {
      // Not parseable: fall back to the status line.
    }
  }
  return new ApiError(response.status, problem, fallback);
}

function readProblem(body: Record<string, unknown>): ProblemDetails {
  const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  return {
    type: str(body.type),
    title: str(body.title),
    status: typeof body.status === 'number' ? body.status : undefined,
    detail: str(body.detail) ?? str(body.message),
    code: str(body.code),
    field: str(body.field),
  };
}
