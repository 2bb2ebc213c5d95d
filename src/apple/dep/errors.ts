/**
 * What can go wrong talking to Apple's Device Assignment ("DEP") web service, as typed errors
 * with stable codes. Messages are written for the MSP technician who has to act on them (sign
 * in to ABM, upload a new token, wait) and never contain token secrets, session tokens or
 * Apple's raw response bodies; `extra` carries only non-secret facts (Apple's error code,
 * HTTP status, the call).
 *
 * Kinds: problems only an ABM administrator can fix (terms, rejected/expired token, access
 * denied) are `conflict` — the stored token's state conflicts with the action — and never
 * `unauthenticated`, which Orchard's UI reads as "your Orchard session ended".
 */
import type { ErrorKind } from '../../domain/errors.js';
import { AppleError } from '../errors.js';

const ABM_DOWNLOAD_TOKEN = 'Apple Business Manager › Preferences › your MDM server › Download Token';

/** Which DEP call failed, e.g. `POST /server/devices`; no query string, no body. */
export type DepCall = string;

export abstract class DepError extends AppleError {
  constructor(kind: ErrorKind, code: string, message: string, extra: Readonly<Record<string, unknown>> = {}) {
    super(kind, code, message, extra);
  }
}

export class DepTermsNotAcceptedError extends DepError {
  constructor(readonly call: DepCall) {
    super(
      'conflict',
      'DEP_TERMS_NOT_ACCEPTED',
      'Apple has new terms and conditions for Apple Business Manager that the organisation has not accepted yet ' +
        '(T_C_NOT_SIGNED), so Apple refuses every device assignment request. An administrator of the organisation ' +
        'must sign in to Apple Business Manager (business.apple.com) and accept the new terms and conditions; ' +
        'syncing resumes on its own afterwards.',
      { call, appleCode: 'T_C_NOT_SIGNED' },
    );
  }
}

export class DepTokenRejectedError extends DepError {
  constructor(
    readonly call: DepCall,
    readonly appleCode: string | null,
  ) {
    super(
      'conflict',
      'DEP_TOKEN_REJECTED',
      'Apple rejected this server token. That happens when it was revoked, when a newer token was downloaded for the ' +
        'same MDM server, or when the administrator who downloaded it changed their Apple Account password or left the ' +
        `organisation. Download a new token from ${ABM_DOWNLOAD_TOKEN} and upload it to Orchard.`,
      { call, appleCode },
    );
  }
}

export class DepTokenExpiredError extends DepError {
  constructor(readonly call: DepCall) {
    super(
      'conflict',
      'DEP_TOKEN_EXPIRED',
      'Apple says this server token has expired (server tokens are valid for one year). ' +
        `Download a new token from ${ABM_DOWNLOAD_TOKEN} and upload it to Orchard.`,
      { call, appleCode: 'token_expired' },
    );
  }
}

export class DepAccessDeniedError extends DepError {
  constructor(
    readonly call: DepCall,
    readonly appleCode: string | null,
  ) {
    super(
      'conflict',
      'DEP_ACCESS_DENIED',
      'Apple denied this server token access to the device assignment service. Check in Apple Business Manager › ' +
        'Preferences that the MDM server still exists and that the organisation is enrolled, then download a new token ' +
        'for it and upload it to Orchard.',
      { call, appleCode },
    );
  }
}

/** Not a failure of the sync: the fetch cursor has returned everything; continue with /devices/sync. */
export class DepCursorExhaustedError extends DepError {
  constructor(readonly call: DepCall) {
    super(
      'conflict',
      'DEP_CURSOR_EXHAUSTED',
      'Apple has already returned every device for this position in the device list (EXHAUSTED_CURSOR). ' +
        'Orchard continues with incremental syncs from the same position; no action is needed.',
      { call, appleCode: 'EXHAUSTED_CURSOR' },
    );
  }
}

export class DepCursorExpiredError extends DepError {
  constructor(readonly call: DepCall) {
    super(
      'conflict',
      'DEP_CURSOR_EXPIRED',
      'The saved position in the device list is older than Apple keeps (7 days, EXPIRED_CURSOR). ' +
        'Orchard restarts with a full device fetch; no action is needed.',
      { call, appleCode: 'EXPIRED_CURSOR' },
    );
  }
}

export class DepCursorInvalidError extends DepError {
  constructor(
    readonly call: DepCall,
    readonly appleCode: 'INVALID_CURSOR' | 'CURSOR_REQUIRED',
  ) {
    super(
      'conflict',
      'DEP_CURSOR_INVALID',
      `Apple does not accept the saved position in the device list (${appleCode}). ` +
        'Orchard restarts with a full device fetch; no action is needed.',
      { call, appleCode },
    );
  }
}

export class DepThrottledError extends DepError {
  constructor(
    readonly call: DepCall,
    readonly retryAfterSeconds: number,
    readonly attempts: number,
  ) {
    super(
      'rate_limited',
      'DEP_THROTTLED',
      `Apple is rate-limiting requests for this server token (HTTP 429) and asks Orchard to wait ${retryAfterSeconds} ` +
        'seconds. Orchard tries again later on its own; if this keeps happening, sync this token less often.',
      { call, retryAfterSeconds, attempts },
    );
  }
}

export class DepUnavailableError extends DepError {
  /**
   * @param reason short and non-secret: `HTTP 503`, `timed out after 30000 ms`, `connection refused`.
   * @param repeatable false for a call Apple may already have carried out (a define, disown or
   *   activation lock that timed out), which Orchard does not repeat on its own: the technician
   *   should check the result in ABM before trying again.
   */
  constructor(
    readonly call: DepCall,
    readonly host: string,
    readonly reason: string,
    readonly attempts: number,
    readonly repeatable: boolean,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(
      'unavailable',
      'DEP_UNAVAILABLE',
      `Apple's device assignment service at ${host} did not answer ${call} (${reason}` +
        `${attempts > 1 ? `, ${attempts} attempts` : ''}). ` +
        (repeatable
          ? 'Orchard tries again on the next sync. If it persists, check https://www.apple.com/support/systemstatus/ ' +
            `and that this Orchard server can reach ${host} over HTTPS.`
          : 'Orchard did not repeat the request because Apple may already have carried it out: check the result in ' +
            'Apple Business Manager before trying again.'),
      { call, host, reason, attempts, repeatable, ...(retryAfterSeconds === null ? {} : { retryAfterSeconds }) },
    );
  }
}

/** Hints for Apple's profile validation codes (apple-protocols.md §2, "Define errors"). */
const BAD_REQUEST_HINTS: Readonly<Record<string, string>> = {
  CONFIG_NAME_REQUIRED: 'The enrollment profile needs a name.',
  CONFIG_NAME_INVALID: 'The enrollment profile name must be 1 to 125 characters.',
  CONFIG_URL_REQUIRED: 'The enrollment profile needs an enrollment URL.',
  CONFIG_URL_INVALID: 'The enrollment URL must be an https URL of at most 2000 characters.',
  DEPARTMENT_INVALID: 'The department must be at most 125 characters.',
  FLAGS_INVALID: 'The profile options contradict each other (for example "not removable" requires "supervised").',
  LOCALE_INVALID: 'The language or region is not one Apple knows.',
  MAGIC_INVALID: 'The org magic value must be at most 256 characters.',
  SUPPORT_EMAIL_INVALID: 'The support email address must be a valid address of at most 250 characters.',
  SUPPORT_PHONE_INVALID: 'The support phone number must be at most 50 characters.',
  USER_AGENT_MISSING: 'Orchard did not send a User-Agent header; this is a bug in Orchard.',
  USER_AGENT_INVALID: 'Apple did not accept Orchard’s User-Agent header; this is a bug in Orchard.',
};

export class DepBadRequestError extends DepError {
  constructor(
    readonly call: DepCall,
    readonly httpStatus: number,
    readonly appleCode: string | null,
  ) {
    const hint = appleCode === null ? undefined : BAD_REQUEST_HINTS[appleCode];
    super(
      'invalid',
      'DEP_BAD_REQUEST',
      `Apple refused ${call} with HTTP ${httpStatus}${appleCode === null ? '' : ` ${appleCode}`}. ` +
        (hint ?? 'Check the values sent (for a profile: name, URL, support details), correct them and try again.'),
      { call, httpStatus, appleCode },
    );
  }
}

export class DepCursorStuckError extends DepError {
  constructor(
    readonly call: DepCall,
    readonly repeats: number,
  ) {
    super(
      'unavailable',
      'DEP_CURSOR_STUCK',
      `Apple returned the same position in the device list ${repeats} times in a row, each time saying more devices ` +
        'follow but sending nothing new (a known Apple fault). Orchard stopped this sync rather than loop; the devices ' +
        'received so far are kept and the next scheduled sync continues from the same position.',
      { call, repeats },
    );
  }
}

/** A 2xx answer Orchard cannot read (not JSON, or missing a field every Apple answer has). */
export class DepUnexpectedResponseError extends DepError {
  constructor(
    readonly call: DepCall,
    readonly reason: string,
  ) {
    super(
      'unavailable',
      'DEP_UNEXPECTED_RESPONSE',
      `Apple answered ${call} with something Orchard cannot read (${reason}). Orchard tries again on the next sync; ` +
        'if it persists, Apple may have changed the service: report it to your Orchard administrator.',
      { call, reason },
    );
  }
}
