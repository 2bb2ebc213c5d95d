/**
 * One HTTP exchange as the simulator records it: the request it made and everything the
 * server answered (status, type, body bytes), or UNREACHABLE naming the step. Bounded by a
 * timeout, since a device gives up too.
 */
import { EnrollmentStepError, type EnrollmentStep, type ServerAnswer } from './errors.js';

export type Fetch = typeof globalThis.fetch;

/**
 * How one device talks HTTP: its fetch, the time it waits for an answer, and how often it
 * had to send a request again because the connection closed before any answer came.
 */
export class Transport {
  retries = 0;
  constructor(
    readonly fetch: Fetch,
    readonly timeoutMs: number,
  ) {}
}

export interface Exchange {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly contentType: string | null;
  readonly body: Buffer;
}

export async function exchange(
  transport: Transport,
  step: EnrollmentStep,
  request: {
    method: string;
    url: string;
    headers?: Record<string, string>;
    body?: Uint8Array | string;
  },
): Promise<Exchange> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      const response = await transport.fetch(request.url, {
        method: request.method,
        headers: request.headers ?? {},
        ...(request.body === undefined ? {} : { body: request.body }),
        redirect: 'manual',
        signal: AbortSignal.timeout(transport.timeoutMs),
      });
      const body = Buffer.from(await response.arrayBuffer());
      return {
        method: request.method,
        url: request.url,
        status: response.status,
        contentType: response.headers.get('content-type'),
        body,
      };
    } catch (error) {
      // A kept-alive connection the server closed just as it was reused ends with no answer
      // at all; a device sends the request again, and so does the simulator, once. Timeouts
      // and refused connections are answers of a kind and are reported as they are.
      if (attempt === 0 && droppedConnection(error)) {
        transport.retries += 1;
        continue;
      }
      throw new EnrollmentStepError(
        step,
        'UNREACHABLE',
        `${request.method} ${request.url}: ${describeNetworkError(error)}`,
      );
    }
  }
}

function droppedConnection(error: unknown): boolean {
  const cause = error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
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
