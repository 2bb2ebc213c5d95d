/**
 * One HTTP exchange as the simulator records it: the request it made and everything the
 * server answered (status, type, body bytes), or UNREACHABLE naming the step. Bounded by a
 * timeout, since a device gives up too.
 */
import { EnrollmentStepError, type EnrollmentStep, type ServerAnswer } from './errors.js';

export type Fetch = typeof globalThis.fetch;

export interface Exchange {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly contentType: string | null;
  readonly body: Buffer;
}

export async function exchange(
  fetchFn: Fetch,
  step: EnrollmentStep,
  request: {
    method: string;
    url: string;
    headers?: Record<string, string>;
    body?: Uint8Array | string;
    timeoutMs: number;
  },
): Promise<Exchange> {
  let response: Response;
  let body: Buffer;
  try {
    response = await fetchFn(request.url, {
      method: request.method,
      headers: request.headers ?? {},
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: 'manual',
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    body = Buffer.from(await response.arrayBuffer());
  } catch (error) {
    throw new EnrollmentStepError(
      step,
      'UNREACHABLE',
      `${request.method} ${request.url}: ${describeNetworkError(error)}`,
    );
  }
  return {
    method: request.method,
    url: request.url,
    status: response.status,
    contentType: response.headers.get('content-type'),
    body,
  };
}

const MAX_SHOWN = 2000;

export function answerOf(x: Exchange): ServerAnswer {
  return { method: x.method, url: x.url, status: x.status, contentType: x.contentType, body: shownBody(x.body) };
}

/** The body as text when it is text (a problem+json, a plain reason), else its size. */
export function shownBody(body: Buffer): string {
  if (body.length === 0) return '';
  const text = body.toString('utf8');
  // Binary when it does not survive a UTF-8 round trip or holds control characters.
  if (!Buffer.from(text, 'utf8').equals(body) || /[\u0000-\u0008\u000e-\u001f]/.test(text)) {
    return `<${body.length} bytes>`;
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

/** The answer as JSON, or null when it is not JSON. */
export function jsonOf(x: Exchange): unknown {
  try {
    return JSON.parse(x.body.toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

export function unexpected(step: EnrollmentStep, x: Exchange, what: string): EnrollmentStepError {
  return new EnrollmentStepError(
    step,
    'UNEXPECTED_ANSWER',
    `${x.method} ${x.url} answered ${x.status}: ${what}`,
    answerOf(x),
  );
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'no answer before the timeout';
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error) return `${error.message} (${cause.message})`;
    return error.message;
  }
  return String(error);
}
