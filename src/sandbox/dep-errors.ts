/**
 * Errors as Apple's DEP web service sends them: a status code and a short upper-case body.
 * Apple is not consistent about the body's form (apple-protocols.md §2), and the sandbox
 * reproduces each form where Apple is known to use it, so that clients which match by
 * substring keep working and clients which parse one form only are caught in tests:
 *
 * - `plain`:  `CURSOR_REQUIRED` (text/plain) — most errors.
 * - `quoted`: `"INVALID_CURSOR"` (a JSON string) — cursor errors.
 * - `code`:   `{"code":"T_C_NOT_SIGNED","message":"…"}` — the terms-and-conditions error.
 */
export type DepBodyForm = 'plain' | 'quoted' | 'code';

export class DepError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly form: DepBodyForm = 'plain',
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`${status} ${code}`);
    this.name = 'DepError';
  }

  body(): string {
    switch (this.form) {
      case 'plain':
        return this.code;
      case 'quoted':
        return JSON.stringify(this.code);
      case 'code':
        return JSON.stringify({ code: this.code, message: MESSAGES[this.code] ?? this.code });
    }
  }

  contentType(): string {
    return this.form === 'plain' ? 'text/plain;charset=UTF8' : 'application/json;charset=UTF8';
  }
}

const MESSAGES: Readonly<Record<string, string>> = {
  T_C_NOT_SIGNED:
    'Terms and Conditions not signed. An administrator must sign in to Apple Business Manager and accept the latest terms.',
  ACCESS_DENIED: 'The OAuth token is not valid for this service.',
};

export const depErrors = {
  malformedBody: () => new DepError(400, 'MALFORMED_REQUEST_BODY'),
  userAgentMissing: () => new DepError(400, 'USER_AGENT_MISSING'),
  userAgentInvalid: () => new DepError(400, 'USER_AGENT_INVALID'),
  protocolVersionMissing: () => new DepError(400, 'X_SERVER_PROTOCOL_VERSION_MISSING'),
  protocolVersionInvalid: () => new DepError(400, 'X_SERVER_PROTOCOL_VERSION_INVALID'),
  /** OAuth 1.0a problem names (the OAuth Problem Reporting extension Apple's OAuth layer uses). */
  oauth: (status: 400 | 401, problem: string) => new DepError(status, problem),
  unauthorized: () => new DepError(401, 'UNAUTHORIZED'),
  forbidden: () => new DepError(403, 'FORBIDDEN'),
  termsNotSigned: () => new DepError(403, 'T_C_NOT_SIGNED', 'code'),
  cursorRequired: () => new DepError(400, 'CURSOR_REQUIRED', 'quoted'),
  invalidCursor: () => new DepError(400, 'INVALID_CURSOR', 'quoted'),
  expiredCursor: () => new DepError(400, 'EXPIRED_CURSOR', 'quoted'),
  exhaustedCursor: () => new DepError(400, 'EXHAUSTED_CURSOR', 'quoted'),
  deviceIdRequired: () => new DepError(400, 'DEVICE_ID_REQUIRED'),
  profileUuidRequired: () => new DepError(400, 'PROFILE_UUID_REQUIRED'),
  profileNotFound: () => new DepError(404, 'PROFILE_NOT_FOUND'),
  notFound: () => new DepError(404, 'NOT_FOUND'),
  tooManyRequests: (retryAfter: string) =>
    new DepError(429, 'TOO_MANY_REQUESTS', 'plain', { 'Retry-After': retryAfter }),
  unavailable: (retryAfter: string) => new DepError(503, 'SERVICE_UNAVAILABLE', 'plain', { 'Retry-After': retryAfter }),
} as const;
