import type { ProblemDetails } from './types';

/** An error answered by the API (problem+json) or a failure to reach it at all. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly title: string;
  /** The field a VALIDATION_FAILED names (its JSON name), when the server names one. */
  readonly field: string | null;

  constructor(status: number, problem: ProblemDetails, fallbackMessage: string) {
    const detail = nonEmpty(problem.detail) ?? nonEmpty(problem.title) ?? fallbackMessage;
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.code = nonEmpty(problem.code) ?? (status === 0 ? 'NETWORK_ERROR' : `HTTP_${status}`);
    this.detail = detail;
    this.title = nonEmpty(problem.title) ?? fallbackMessage;
    this.field = nonEmpty(problem.field) ?? null;
  }

  static network(cause: unknown): ApiError {
    const error = new ApiError(
      0,
      { title: 'Orchard is unreachable' },
      'Orchard could not be reached. Check your network connection and that the server is running.',
    );
    if (cause instanceof Error) error.cause = cause;
    return error;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/** The message to show a person for any error: the server's detail when there is one. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  if (error instanceof Error && error.message) return error.message;
  return 'The request failed.';
}

/**
 * The form field a refusal is about, to show it under that field: the field a VALIDATION_FAILED
 * names, or the one `codes` maps the error's code to (EMAIL_TAKEN names no field). Null when
 * the form has no such field: the refusal is shown above the form.
 */
export function refusedField<F extends string>(
  error: unknown,
  fields: readonly F[],
  codes: Partial<Record<string, F>> = {},
): { field: F; detail: string } | null {
  if (!(error instanceof ApiError)) return null;
  const field = codes[error.code] ?? fields.find((known) => known === error.field);
  return field === undefined ? null : { field, detail: error.detail };
}
