/**
 * Errors the domain raises on purpose. Each has a stable upper-snake `code` that API clients
 * can switch on, and a message written for the person who has to fix the problem. The HTTP
 * layer maps `kind` to a status; the domain never speaks HTTP.
 */
export type ErrorKind =
  'invalid' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'too_large' | 'rate_limited' | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super('invalid', 'VALIDATION_FAILED', message, field === undefined ? {} : { field });
  }
}

export class NotFoundError extends DomainError {
  constructor(entity: string, id: string) {
    super('not_found', 'NOT_FOUND', `No ${entity} with id "${id}" exists. It may have been deleted; reload the list.`);
  }
}

export class NameTakenError extends DomainError {
  constructor(entity: string, name: string, parent?: string) {
    super(
      'conflict',
      'NAME_TAKEN',
      `A ${entity} named "${name}" already exists${parent === undefined ? '' : ` in ${parent}`}. Choose another name.`,
    );
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(code = 'UNAUTHENTICATED', message = 'Sign in, or send an API key as "Authorization: Bearer <key>".') {
    super('unauthenticated', code, message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string, code = 'FORBIDDEN') {
    super('forbidden', code, message);
  }
}

export class RateLimitedError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    code = 'TOO_MANY_ATTEMPTS',
  ) {
    super('rate_limited', code, message);
  }
}
