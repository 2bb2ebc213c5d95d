/**
 * Errors the Apple protocol layer raises on purpose. They extend the domain's error base so
 * the one HTTP error handler maps them like any other (`kind` → status, `code` → problem
 * type) without knowing about Apple. Messages are written for the admin holding the file and
 * never contain token secrets; `extra` carries only non-secret facts a UI may show.
 */
import { DomainError, type ErrorKind } from '../domain/errors.js';

const DOWNLOAD_TOKEN_STEPS = 'Apple Business Manager › Preferences › your MDM server › Download Token';

export abstract class AppleError extends DomainError {
  constructor(kind: ErrorKind, code: string, message: string, extra: Readonly<Record<string, unknown>> = {}) {
    super(kind, code, message, extra);
  }
}

/** Everything that can go wrong while turning an uploaded `.p7m` into a server token. */
export abstract class ServerTokenError extends AppleError {}

export class TokenNotATokenFileError extends ServerTokenError {
  /**
   * @param reason what the file looked like instead, for logs and support (never user text,
   *   never file content).
   */
  constructor(readonly reason: string) {
    super(
      'invalid',
      'TOKEN_NOT_A_TOKEN_FILE',
      `This file is not an Apple Business Manager server token. Download the token (.p7m) from ${DOWNLOAD_TOKEN_STEPS}.`,
    );
  }
}

/** Who an enveloped-data file says it is addressed to; shown to support, not secret. */
export type TokenRecipient =
  | { readonly kind: 'issuerAndSerialNumber'; readonly issuer: string; readonly serialNumber: string }
  | { readonly kind: 'subjectKeyIdentifier'; readonly subjectKeyIdentifier: string }
  | { readonly kind: 'unsupported'; readonly description: string };

export class TokenWrongKeyError extends ServerTokenError {
  constructor(readonly recipients: readonly TokenRecipient[]) {
    super(
      'invalid',
      'TOKEN_WRONG_KEY',
      'This server token was made for a different public key than the one Orchard holds for this token. ' +
        'In Apple Business Manager › Preferences, edit your MDM server and upload the public key (.pem) ' +
        'downloaded from this wizard, then download a new token and upload it here.',
      { recipients },
    );
  }
}

export class TokenCorruptError extends ServerTokenError {
  /** @param reason which step failed, for logs and support (never user text, never secrets). */
  constructor(readonly reason: string) {
    super(
      'invalid',
      'TOKEN_CORRUPT',
      'This server token file is addressed to Orchard but is damaged (or uses encryption Orchard does not support) ' +
        `and cannot be decrypted. Download the token again from ${DOWNLOAD_TOKEN_STEPS}, and upload the file ` +
        'exactly as downloaded, without opening or editing it.',
    );
  }
}

export class TokenMissingFieldsError extends ServerTokenError {
  constructor(readonly missingFields: readonly string[]) {
    super(
      'invalid',
      'TOKEN_MISSING_FIELDS',
      missingFields.length === 0
        ? 'This file decrypted correctly but does not contain a server token. ' +
            `Download the token again from ${DOWNLOAD_TOKEN_STEPS}.`
        : `This file decrypted correctly but the server token in it lacks ${missingFields.join(', ')}. ` +
            `Download the token again from ${DOWNLOAD_TOKEN_STEPS}.`,
      { missingFields },
    );
  }
}

export class TokenExpiredError extends ServerTokenError {
  constructor(
    readonly expiredAt: Date,
    readonly keyPairId: string,
  ) {
    super(
      'invalid',
      'TOKEN_EXPIRED',
      `This server token expired on ${formatUtc(expiredAt)}. Server tokens are valid for one year: ` +
        `download a new token from ${DOWNLOAD_TOKEN_STEPS} and upload it here.`,
      { expiredAt: expiredAt.toISOString() },
    );
  }
}

/** A malformed OAuth `Authorization` header (RFC 5849 §3.5.1), as the Apple sandbox sees it. */
export class OAuthHeaderError extends AppleError {
  constructor(readonly reason: string) {
    super(
      'unauthenticated',
      'OAUTH_HEADER_INVALID',
      `The Authorization header is not a valid OAuth 1.0a header (${reason}). ` +
        'Send `Authorization: OAuth oauth_consumer_key="…", …` signed with HMAC-SHA1.',
    );
  }
}

function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
