/**
 * The decrypted inside of an ABM server token: a small MIME part whose body wraps the OAuth
 * credentials as JSON in `-----BEGIN MESSAGE-----` armour. Apple writes
 *
 *     Content-Type: text/plain;charset=UTF-8
 *     Content-Transfer-Encoding: 7bit
 *
 *     -----BEGIN MESSAGE-----
 *     {"consumer_key":"CK_…","consumer_secret":"CS_…","access_token":"AT_O…",
 *      "access_secret":"AS_…","access_token_expiry":"2026-01-17T11:02:21Z"}          (one line)
 *     -----END MESSAGE-----
 *
 * Tools that re-wrap tokens drop the headers or the armour, so both are optional here.
 */
import { TokenMissingFieldsError } from './errors.js';

export interface ServerToken {
  readonly consumerKey: string;
  readonly consumerSecret: string;
  readonly accessToken: string;
  readonly accessSecret: string;
  /** `null` when the token does not say (older tokens) or says something unreadable. */
  readonly accessTokenExpiry: Date | null;
}

const REQUIRED_FIELDS = ['consumer_key', 'consumer_secret', 'access_token', 'access_secret'] as const;

// A header field name is an RFC 7230 §3.2.6 token (which JSON's `{"` and base64 are not).
const HEADER_LINE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+:/;
const CONTINUATION_LINE = /^[ \t]/;

/** Parses decrypted token content; throws TokenMissingFieldsError when it is not a token. */
export function parseServerTokenContent(text: string): ServerToken {
  const body = extractArmouredBody(decodeMimePart(text.replace(/^\uFEFF/, '')));
  const json = parseJsonObject(body);
  if (json === null) throw new TokenMissingFieldsError([]);

  const values = new Map<string, string>();
  const missing: string[] = [];
  for (const field of REQUIRED_FIELDS) {
    const value = json[field];
    if (typeof value === 'string' && value.trim() !== '') values.set(field, value.trim());
    else missing.push(field);
  }
  if (missing.length > 0) throw new TokenMissingFieldsError(missing);

  return {
    consumerKey: values.get('consumer_key') ?? '',
    consumerSecret: values.get('consumer_secret') ?? '',
    accessToken: values.get('access_token') ?? '',
    accessSecret: values.get('access_secret') ?? '',
    accessTokenExpiry: parseExpiry(json['access_token_expiry']),
  };
}

/** The body of a MIME part, decoded per its Content-Transfer-Encoding; no headers → all body. */
function decodeMimePart(text: string): string {
  const lines = text.split(/\r?\n/);
  if (!HEADER_LINE.test(lines[0] ?? '')) return text;

  let encoding = '';
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') {
      i++;
      break;
    }
    if (CONTINUATION_LINE.test(line)) continue;
    if (!HEADER_LINE.test(line)) break; // sloppy writers omit the blank line
    const colon = line.indexOf(':');
    if (line.slice(0, colon).trim().toLowerCase() === 'content-transfer-encoding') {
      encoding = line
        .slice(colon + 1)
        .trim()
        .toLowerCase();
    }
  }
  const body = lines.slice(i).join('\n');
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  return body; // 7bit (Apple), 8bit, binary
}

/** RFC 2045 §6.7: soft line breaks and =XX escapes of UTF-8 octets. */
function decodeQuotedPrintable(body: string): string {
  const bytes = body
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function extractArmouredBody(body: string): string {
  const begin = body.indexOf('-----BEGIN MESSAGE-----');
  if (begin === -1) return body;
  const start = begin + '-----BEGIN MESSAGE-----'.length;
  const end = body.indexOf('-----END MESSAGE-----', start);
  return end === -1 ? body.slice(start) : body.slice(start, end);
}

function parseJsonObject(body: string): Record<string, unknown> | null {
  const trimmed = body.trim();
  const candidates = [trimmed];
  // Tolerate stray text around the object (a signature line, a trailing newline marker).
  const open = trimmed.indexOf('{');
  const close = trimmed.lastIndexOf('}');
  if (open > 0 || (close !== -1 && close < trimmed.length - 1)) candidates.push(trimmed.slice(open, close + 1));
  for (const candidate of candidates) {
    try {
      const value: unknown = JSON.parse(candidate);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // try the next candidate
    }
  }
  return null;
}

// RFC 3339 date-time; Apple writes "2026-01-17T11:02:21Z".
const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)([Zz]|[+-]\d{2}:?\d{2})?$/;

function parseExpiry(value: unknown): Date | null {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    // Not seen from Apple; epoch seconds or milliseconds from other tools.
    return new Date(value < 1e11 ? value * 1000 : value);
  }
  if (typeof value !== 'string') return null;
  const match = RFC3339.exec(value.trim());
  if (match === null) return null;
  const [, date, time, zone] = match;
  // Apple's expiry is UTC; without an offset, Date.parse would read local time instead.
  let offset = zone === undefined || zone.toUpperCase() === 'Z' ? 'Z' : zone;
  if (offset.length === 5) offset = `${offset.slice(0, 3)}:${offset.slice(3)}`; // +0200 → +02:00
  const ms = Date.parse(`${date}T${(time ?? '').slice(0, 12)}${offset}`);
  return Number.isNaN(ms) ? null : new Date(ms);
}
