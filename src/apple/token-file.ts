/**
 * Turns an uploaded ABM server token file (`.p7m`) into OAuth credentials: unwrap whatever
 * container the file arrived in down to DER/BER, open the CMS envelope with one of our key
 * pairs, parse the inner content, check expiry. Every failure is a ServerTokenError.
 *
 * Containers seen in the wild (apple-protocols.md §1): Apple's S/MIME headers + 76-column
 * base64 (LF); OpenSSL's S/MIME (`MIME-Version`, `application/x-pkcs7-mime`, 64 columns);
 * either with CRLF after a trip through Windows or a mail client; bare PEM
 * (`PKCS7`, `CMS`); raw DER/BER.
 */
import { peekContentType } from './ber.js';
import { OID, loadKeyPairs, openEnvelope, type RecipientKeyPair } from './cms-envelope.js';
import { ServerTokenError, TokenCorruptError, TokenExpiredError, TokenNotATokenFileError } from './errors.js';
import { parseServerTokenContent, type ServerToken } from './server-token.js';

export type { ServerToken } from './server-token.js';
export { parseServerTokenContent } from './server-token.js';
export type { RecipientKeyPair } from './cms-envelope.js';

/** Real tokens are about 1.5 KiB; anything near this is not one, so don't parse it. */
export const MAX_TOKEN_FILE_BYTES = 1024 * 1024;

export interface DecryptedServerToken {
  readonly token: ServerToken;
  /** Which candidate key pair the token was addressed to. */
  readonly keyPairId: string;
}

/**
 * Decrypts a server token file with whichever of `candidates` it was made for (typically
 * the current key pair and a staged replacement).
 *
 * @throws TokenNotATokenFileError, TokenWrongKeyError, TokenCorruptError,
 *   TokenMissingFieldsError, TokenExpiredError (carrying the expiry) — and a plain Error
 *   only when a candidate key pair itself is unreadable (a storage bug, not the file).
 */
export function decryptServerToken(
  file: Buffer | Uint8Array,
  candidates: ReadonlyArray<RecipientKeyPair>,
  now: Date,
): DecryptedServerToken {
  const held = loadKeyPairs(candidates);

  let stage: 'container' | 'envelope' | 'content' = 'container';
  try {
    const der = unwrapTokenContainer(file);
    stage = 'envelope';
    const { content, keyPairId } = openEnvelope(der, held);
    stage = 'content';
    const token = parseServerTokenContent(decodeUtf8(content));
    if (token.accessTokenExpiry !== null && token.accessTokenExpiry.getTime() <= now.getTime()) {
      throw new TokenExpiredError(token.accessTokenExpiry, keyPairId);
    }
    return { token, keyPairId };
  } catch (error) {
    if (error instanceof ServerTokenError) throw error;
    // Anything else (a RangeError from deep input, a non-Error thrown by a library) is
    // still the file's fault: report it by the stage that failed, never crash.
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : 'non-Error thrown';
    if (stage === 'container') throw new TokenNotATokenFileError(`unreadable container (${detail})`);
    throw new TokenCorruptError(`unexpected failure while reading the ${stage} (${detail})`);
  }
}

/**
 * Strips the transport wrapping from a token file and returns the CMS ContentInfo bytes,
 * after checking that it is EnvelopedData. Throws TokenNotATokenFileError otherwise, and
 * TokenCorruptError for encryption we recognise but do not support.
 */
export function unwrapTokenContainer(file: Buffer | Uint8Array): Uint8Array {
  if (file.length === 0) throw new TokenNotATokenFileError('the file is empty');
  if (file.length > MAX_TOKEN_FILE_BYTES) {
    throw new TokenNotATokenFileError(`the file is ${file.length} bytes, larger than 1 MiB`);
  }

  const bytes = Buffer.from(file.buffer, file.byteOffset, file.length);
  // Raw DER/BER starts with a SEQUENCE; a text file starting with "0" falls through to text.
  const der = peekContentType(bytes) !== null ? bytes : decodeTextContainer(bytes);
  const contentType = peekContentType(der);
  switch (contentType) {
    case OID.envelopedData:
      return der;
    case null:
      throw new TokenNotATokenFileError('not a CMS ContentInfo (a certificate, a key or other data)');
    case OID.signedData:
      throw new TokenNotATokenFileError('CMS signed-data, not enveloped-data');
    case OID.data:
      throw new TokenNotATokenFileError('CMS data, not enveloped-data');
    case OID.authEnvelopedData:
      throw new TokenCorruptError('CMS AuthEnvelopedData (AES-GCM) is not supported');
    default:
      throw new TokenNotATokenFileError(`CMS content type ${contentType}, not enveloped-data`);
  }
}

// RFC 7468 labels for CMS: OpenSSL writes PKCS7 (`smime -outform PEM`) or CMS (`cms`).
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 #]+)-----/;
const PKCS7_LABELS = new Set(['PKCS7', 'PKCS #7', 'CMS', 'PKCS7 ENVELOPED DATA', 'PKCS #7 ENVELOPED DATA']);
// A header field name is an RFC 7230 §3.2.6 token (which JSON's `{"` and base64 are not).
const HEADER_LINE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+:/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeTextContainer(bytes: Buffer): Buffer {
  // latin1 maps bytes 1:1 to chars, so a "binary" MIME body can be turned back into bytes.
  // Leading blank lines and a UTF-8 BOM come from editors and copy-paste.
  const text = bytes
    .toString('latin1')
    .replace(/^\xEF\xBB\xBF/, '')
    .replace(/^\s+/, '');

  const pem = PEM_BLOCK.exec(text);
  if (pem !== null) {
    const label = pem[1] ?? '';
    if (!PKCS7_LABELS.has(label)) throw new TokenNotATokenFileError(`a PEM ${label} block`);
    const start = pem.index + pem[0].length;
    const end = text.indexOf(`-----END ${label}-----`, start);
    // A missing END line means a truncated download: decode what is there and let the
    // envelope parser call it corrupt, which tells the admin more than "not a token".
    const body = text.slice(start, end === -1 ? undefined : end);
    // RFC 1421 encapsulated headers (Proc-Type: …) never occur for CMS, but skip them.
    return decodeBase64(
      body
        .split(/\r?\n/)
        .filter((line) => !line.includes(':'))
        .join(''),
    );
  }

  const lines = text.split(/\r?\n/);
  if (!HEADER_LINE.test(lines[0] ?? '')) return decodeBase64(text);

  // A MIME entity (RFC 2045): header fields, a blank line, then the body.
  let encoding = 'base64';
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') break;
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === 'content-transfer-encoding') {
      encoding = line
        .slice(colon + 1)
        .trim()
        .toLowerCase();
    }
  }
  if (i >= lines.length) throw new TokenNotATokenFileError('MIME headers without a body');
  const bodyLines = lines.slice(i + 1);
  if (encoding === 'binary' || encoding === '8bit') {
    const blank = /\r?\n[ \t]*\r?\n/.exec(text);
    if (blank === null) throw new TokenNotATokenFileError('MIME headers without a body');
    return Buffer.from(text.slice(blank.index + blank[0].length), 'latin1');
  }
  if (encoding !== 'base64') throw new TokenNotATokenFileError(`MIME body in ${encoding} encoding`);
  // The base64 body ends at the first blank line after it began (a MIME epilogue may follow).
  const firstText = bodyLines.findIndex((line) => line.trim() !== '');
  const afterBody = bodyLines.findIndex((line, index) => index > firstText && line.trim() === '');
  return decodeBase64(bodyLines.slice(0, afterBody === -1 ? undefined : afterBody).join(''));
}

function decodeBase64(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  // Buffer.from(…, 'base64') silently skips junk, so check the alphabet first.
  if (compact === '' || !BASE64.test(compact)) throw new TokenNotATokenFileError('neither DER nor base64 text');
  return Buffer.from(compact, 'base64');
}

function decodeUtf8(content: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    // CBC has no integrity check: a damaged block still "decrypts", but to bytes that are
    // not text. Apple's content is 7-bit ASCII, so invalid UTF-8 means a damaged file.
    throw new TokenCorruptError('the decrypted content is not UTF-8 text');
  }
}
