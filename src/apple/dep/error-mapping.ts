/**
 * Turns a final (non-retried) error answer from Apple into a typed DepError.
 *
 * Apple's error bodies are short codes in inconsistent wrappers: `INVALID_CURSOR`,
 * `"INVALID_CURSOR"` (JSON-quoted, as depsim and some Apple hosts send), `{"code":"…"}`,
 * `{"error":"…"}`, and for OAuth failures lower-case words such as `token_expired` or
 * `oauth_problem_advice=…`. So codes are matched by substring of the whole body, as nanodep
 * does, and only a sanitised code — never the raw body — is kept on the error.
 */
import {
  DepAccessDeniedError,
  DepBadRequestError,
  DepCursorExhaustedError,
  DepCursorExpiredError,
  DepCursorInvalidError,
  DepTermsNotAcceptedError,
  DepThrottledError,
  DepTokenExpiredError,
  DepTokenRejectedError,
  DepUnavailableError,
  type DepCall,
  type DepError,
} from './errors.js';

// Apple's codes are letters and underscores (T_C_NOT_SIGNED, token_expired). Nothing else is
// kept: access tokens (AT_O…) and nonces have digits, so no fragment of one becomes a "code".
const CODE_SHAPE = /^[A-Za-z]+(?:_[A-Za-z]+)*$/;
const UPPER_SNAKE = /\b[A-Z]+(?:_[A-Z]+)+\b/;

/** The error code in an Apple error body, or null when there is none worth showing. */
export function appleErrorCode(body: string): string | null {
  const trimmed = body.trim();
  if (trimmed === '') return null;
  let candidate = trimmed;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (typeof parsed === 'string') candidate = parsed.trim();
    else if (typeof parsed === 'object' && parsed !== null) {
      const fields = parsed as Record<string, unknown>;
      const named = [fields['code'], fields['error'], fields['message']].find((v) => typeof v === 'string');
      if (typeof named === 'string') candidate = named.trim();
    }
  } catch {
    // a bare code, or text: use as is
  }
  if (candidate.length <= 64 && CODE_SHAPE.test(candidate)) return candidate;
  return UPPER_SNAKE.exec(candidate)?.[0] ?? null;
}

function has(body: string, needle: string): boolean {
  return body.toUpperCase().includes(needle.toUpperCase());
}

/** 401, or 403 whose body says FORBIDDEN: the session is stale (nanodep: depsim sends this after a restart). */
export function needsNewSession(status: number, body: string): boolean {
  return status === 401 || (status === 403 && has(body, 'FORBIDDEN'));
}

export interface ErrorContext {
  readonly call: DepCall;
  /** host of the base URL, for DEP_UNAVAILABLE messages */
  readonly host: string;
  /** false for calls that change state at Apple; see RetryCall.idempotent */
  readonly idempotent: boolean;
}

export function errorFromResponse(status: number, body: string, context: ErrorContext): DepError {
  const { call } = context;
  const code = appleErrorCode(body);

  // 403 T_C_NOT_SIGNED can come on any call, including /session.
  if (has(body, 'T_C_NOT_SIGNED')) return new DepTermsNotAcceptedError(call);
  if (has(body, 'token_expired')) return new DepTokenExpiredError(call);
  if (status >= 400 && status < 500) {
    if (has(body, 'EXHAUSTED_CURSOR')) return new DepCursorExhaustedError(call);
    if (has(body, 'EXPIRED_CURSOR')) return new DepCursorExpiredError(call);
    if (has(body, 'INVALID_CURSOR')) return new DepCursorInvalidError(call, 'INVALID_CURSOR');
    if (has(body, 'CURSOR_REQUIRED')) return new DepCursorInvalidError(call, 'CURSOR_REQUIRED');
  }
  // Revoked or superseded tokens: 401 on /session, or 403 token_rejected / signature_invalid.
  if (['token_rejected', 'signature_invalid', 'oauth_problem'].some((word) => has(body, word))) {
    return new DepTokenRejectedError(call, code);
  }
  if (status === 401) return new DepTokenRejectedError(call, code);
  // ACCESS_DENIED, or FORBIDDEN that survived a fresh session.
  if (status === 403) return new DepAccessDeniedError(call, code);
  if (status === 429) return new DepThrottledError(call, 60, 1);
  if (status >= 500) return new DepUnavailableError(call, context.host, `HTTP ${status}`, 1, context.idempotent);
  return new DepBadRequestError(call, status, code);
}
