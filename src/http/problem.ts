import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, RateLimitedError, type ErrorKind } from '../domain/errors.js';

/** RFC 9457 problem details, with Orchard's stable `code` as an extension member. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly instance?: string;
  readonly [extension: string]: unknown;
}

const STATUS_OF: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  unavailable: 503,
};

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Not signed in',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Request too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Service unavailable',
};

export function problemType(code: string): string {
  return `urn:orchard:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

export function makeProblem(
  status: number,
  code: string,
  detail: string,
  extensions: Readonly<Record<string, unknown>> = {},
): Problem {
  return { type: problemType(code), title: TITLES[status] ?? 'Error', status, detail, code, ...extensions };
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

/**
 * Fastify's own request errors (parsing, limits, schema validation) carry an FST_ code;
 * each gets an Orchard code and a sentence a client developer can act on.
 */
function fromFastifyError(error: FastifyError): Problem | undefined {
  if (error.validation !== undefined) {
    const first = error.validation[0];
    const where = error.validationContext ?? 'request';
    const field = first?.instancePath ? `${where}${first.instancePath.replace(/\//g, '.')}` : where;
    const detail = first === undefined ? error.message : `${field} ${first.message ?? 'is invalid'}`;
    return makeProblem(400, 'VALIDATION_FAILED', `${detail}.`);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return makeProblem(413, 'BODY_TOO_LARGE', 'The request body is larger than this endpoint accepts.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return makeProblem(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return makeProblem(400, 'MALFORMED_JSON', 'The body is empty but Content-Type says JSON. Send a JSON object.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return makeProblem(400, 'MALFORMED_JSON', 'The body is not valid JSON. Check quotes, commas and braces.');
    default:
      break;
  }
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return makeProblem(400, 'MALFORMED_JSON', 'The body is not valid JSON. Check quotes, commas and braces.');
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return makeProblem(error.statusCode, 'BAD_REQUEST', error.message);
  }
  return undefined;
}

/**
 * Connection-level failures (refused, reset, timed out; PostgreSQL's 08xxx and admin
 * shutdown 57P0x; a locked SQLite file): the request could not be served, which is a 503 the
 * client may retry, not a bug to report.
 */
function isDatabaseUnreachable(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'SQLITE_BUSY', 'SQLITE_LOCKED'].includes(code) ||
    /^08\d{3}$/.test(code) ||
    /^57P0[1-3]$/.test(code)
  );
}

/** Fastify's error handler: every error leaves as problem+json; unexpected ones are logged and told apart by request id. */
export function errorHandler(error: Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof DomainError) {
    if (error instanceof RateLimitedError) reply.header('Retry-After', String(error.retryAfterSeconds));
    return sendProblem(reply, makeProblem(STATUS_OF[error.kind], error.code, error.message, error.extra));
  }
  const known = fromFastifyError(error as FastifyError);
  if (known !== undefined) return sendProblem(reply, known);
  if (isDatabaseUnreachable(error)) {
    request.log.error({ err: error }, 'database unreachable');
    return sendProblem(
      reply,
      makeProblem(
        503,
        'DATABASE_UNAVAILABLE',
        'Orchard cannot reach its database right now. Try again in a minute; if it persists, ask your administrator to check the database server.',
        {
          requestId: request.id,
        },
      ),
    );
  }
  request.log.error({ err: error }, 'unhandled error');
  return sendProblem(
    reply,
    makeProblem(
      500,
      'INTERNAL_ERROR',
      `Orchard hit an unexpected error. Try again; if it persists, give your administrator the request id ${request.id}.`,
      {
        requestId: request.id,
      },
    ),
  );
}
