import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, RateLimitedError, type ErrorKind } from '../domain/errors.js';
import { unavailabilityOf, type Unavailability } from '../store/errors.js';

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

/** What happened to the database and what to do about it, one sentence pair per reason. */
const UNAVAILABLE_DETAIL: Record<Unavailability, string> = {
  unreachable:
    'Orchard cannot reach its database right now. Try again in a minute; if it persists, ask your administrator to check that the database server is running and reachable.',
  timeout:
    'Orchard’s database did not answer in time. Try again in a minute; if it persists, ask your administrator to check the database server’s load and the network to it.',
  connection_lost:
    'Orchard lost its connection to the database (the server restarted or closed it). Try again: Orchard reconnects by itself.',
  missing_database:
    'The database Orchard is configured to use does not exist. Ask your administrator to create it or correct DATABASE_URL.',
  missing_tables:
    'Orchard’s tables are missing from its database (dropped or replaced while Orchard was running). Ask your administrator to restore the database from a backup, or to run `orchard migrate` to start over empty.',
  credentials_refused:
    'The database refused Orchard’s credentials. Ask your administrator to check the user and password in DATABASE_URL.',
  busy: 'Orchard’s database is busy (locked or out of connections). Try again in a moment.',
  out_of_resources:
    'Orchard’s database is out of disk space or memory. Ask your administrator to free some on the database server, then try again.',
};

/**
 * When a client may usefully try again, per reason: a connection that dropped or a busy
 * database usually recovers within seconds, an unreachable one within a restart. Absent for
 * what needs an administrator (a missing database, tables or credentials).
 */
const RETRY_AFTER_SECONDS: Partial<Record<Unavailability, number>> = {
  connection_lost: 2,
  busy: 2,
  timeout: 5,
  unreachable: 5,
  out_of_resources: 30,
};

/**
 * A failure of the database itself (unreachable, too slow, gone, dropped) is a 503 the client
 * may retry, with Retry-After when waiting helps, not a bug to report. Sends it and returns
 * the reply; undefined, sending nothing, for any other error.
 */
export function sendDatabaseProblem(
  reply: FastifyReply,
  error: unknown,
  extensions: Readonly<Record<string, unknown>> = {},
): FastifyReply | undefined {
  const reason = unavailabilityOf(error);
  if (reason === undefined) return undefined;
  const retryAfter = RETRY_AFTER_SECONDS[reason];
  if (retryAfter !== undefined) reply.header('Retry-After', String(retryAfter));
  return sendProblem(reply, makeProblem(503, 'DATABASE_UNAVAILABLE', UNAVAILABLE_DETAIL[reason], extensions));
}

/** Fastify's error handler: every error leaves as problem+json; unexpected ones are logged and told apart by request id. */
export function errorHandler(error: Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof DomainError) {
    if (error instanceof RateLimitedError) reply.header('Retry-After', String(error.retryAfterSeconds));
    return sendProblem(reply, makeProblem(STATUS_OF[error.kind], error.code, error.message, error.extra));
  }
  const known = fromFastifyError(error as FastifyError);
  if (known !== undefined) return sendProblem(reply, known);
  if (unavailabilityOf(error) !== undefined) {
    request.log.error({ err: error }, 'database unavailable');
    return sendDatabaseProblem(reply, error, { requestId: request.id }) ?? reply;
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
