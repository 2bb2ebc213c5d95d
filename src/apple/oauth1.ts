/**
 * OAuth 1.0a (RFC 5849) with HMAC-SHA1, the only scheme Apple's `GET /session` accepts
 * (apple-protocols.md §2). Pure: the caller supplies nonce and timestamp. The signing side is
 * used by the DEP client; the parsing/verifying side by the Apple sandbox, which must check
 * signatures for real so that client bugs show up in tests rather than against Apple.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { OAuthHeaderError } from './errors.js';

export type OAuthParams = ReadonlyArray<readonly [string, string]> | Readonly<Record<string, string>>;

/** RFC 5849 §3.6: UTF-8, then every octet outside ALPHA / DIGIT / "-" / "." / "_" / "~" as %XX. */
export function percentEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const unreserved =
      (byte >= 0x41 && byte <= 0x5a) || // A-Z
      (byte >= 0x61 && byte <= 0x7a) || // a-z
      (byte >= 0x30 && byte <= 0x39) || // 0-9
      byte === 0x2d ||
      byte === 0x2e ||
      byte === 0x5f ||
      byte === 0x7e; // - . _ ~
    out += unreserved ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * RFC 5849 §3.4.1: `METHOD&pct(base string URI)&pct(normalized parameters)`. The request's
 * query parameters are included; `params` are the protocol parameters (and any form body
 * parameters). `oauth_signature` is always excluded (§3.4.1.3.1).
 */
export function signatureBaseString(method: string, url: string, params: OAuthParams): string {
  const parsed = new URL(url);
  const pairs: Array<[string, string]> = [];
  // §3.4.1.3.1: the query is decoded as application/x-www-form-urlencoded ("+" is a space).
  for (const [name, value] of parsed.searchParams) pairs.push([name, value]);
  for (const [name, value] of entries(params)) {
    if (name !== 'oauth_signature') pairs.push([name, value]);
  }
  const normalized = pairs
    .map(([name, value]) => [percentEncode(name), percentEncode(value)] as const)
    // §3.4.1.3.2: sort by encoded name, then encoded value, by octet (ASCII here).
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  return [method.toUpperCase(), percentEncode(baseStringUri(parsed)), percentEncode(normalized)].join('&');
}

/**
 * §3.4.1.2: scheme and host in lowercase, the port only when it is not the scheme's
 * default, the path, and no query or fragment. WHATWG URL already lowercases and drops
 * default ports; `||` covers the empty path of e.g. "http://example.com".
 */
function baseStringUri(url: URL): string {
  return `${url.protocol.toLowerCase()}//${url.host.toLowerCase()}${url.pathname || '/'}`;
}

/** §3.4.2: base64(HMAC-SHA1(key = pct(consumer secret) & pct(token secret), base string)). */
export function hmacSha1Signature(baseString: string, consumerSecret: string, tokenSecret: string): string {
  const key = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
  return createHmac('sha1', key).update(baseString, 'utf8').digest('base64');
}

export interface OAuthRequest {
  readonly method: string;
  readonly url: string;
  readonly consumerKey: string;
  readonly consumerSecret: string;
  readonly token: string;
  readonly tokenSecret: string;
  readonly nonce: string;
  readonly timestamp: number | string;
  /** Defaults to "ADM", which Apple's clients send; `null` leaves realm out. Never signed. */
  readonly realm?: string | null;
}

/**
 * The `Authorization` header for a signed request (§3.5.1), in the order Apple's clients send:
 * `OAuth realm="ADM", oauth_consumer_key="…", oauth_token="…", oauth_signature_method="HMAC-SHA1",
 * oauth_signature="…", oauth_timestamp="…", oauth_nonce="…", oauth_version="1.0"`.
 */
export function buildAuthorizationHeader(request: OAuthRequest): string {
  const protocol: Array<[string, string]> = [
    ['oauth_consumer_key', request.consumerKey],
    ['oauth_token', request.token],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', String(request.timestamp)],
    ['oauth_nonce', request.nonce],
    ['oauth_version', '1.0'],
  ];
  const base = signatureBaseString(request.method, request.url, protocol);
  const signature = hmacSha1Signature(base, request.consumerSecret, request.tokenSecret);
  const ordered: Array<[string, string]> = [
    ['oauth_consumer_key', request.consumerKey],
    ['oauth_token', request.token],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_signature', signature],
    ['oauth_timestamp', String(request.timestamp)],
    ['oauth_nonce', request.nonce],
    ['oauth_version', '1.0'],
  ];
  const realm = request.realm === undefined ? 'ADM' : request.realm;
  if (realm !== null) ordered.unshift(['realm', realm]);
  return `OAuth ${ordered.map(([name, value]) => `${name}="${percentEncode(value)}"`).join(', ')}`;
}

export interface ParsedAuthorization {
  readonly realm: string | null;
  /** Every `oauth_*` parameter, decoded, including `oauth_signature`. */
  readonly params: Readonly<Record<string, string>>;
}

const REQUIRED_PARAMS = [
  'oauth_consumer_key',
  'oauth_token',
  'oauth_signature_method',
  'oauth_signature',
  'oauth_timestamp',
  'oauth_nonce',
] as const;

const HEADER_PARAM = /^\s*([A-Za-z0-9_.~%-]+)\s*=\s*"([^"]*)"\s*$/;

/**
 * Parses `Authorization: OAuth …` (§3.5.1). Throws OAuthHeaderError when the scheme is not
 * OAuth, a parameter is malformed or repeated (§3.1), or a required one is missing.
 */
export function parseAuthorizationHeader(header: string): ParsedAuthorization {
  const match = /^\s*OAuth\s+([\s\S]*)$/i.exec(header);
  if (match === null) throw new OAuthHeaderError('the scheme is not OAuth');
  const params: Record<string, string> = {};
  let realm: string | null = null;
  for (const part of (match[1] ?? '').split(',')) {
    if (part.trim() === '') continue;
    const param = HEADER_PARAM.exec(part);
    if (param === null) throw new OAuthHeaderError('a parameter is not name="value"');
    const name = percentDecode(param[1] ?? '');
    const value = percentDecode(param[2] ?? '');
    if (name === 'realm') {
      realm = value;
      continue;
    }
    if (!name.startsWith('oauth_')) continue; // §3.5.1: other parameters are not protocol parameters
    if (Object.hasOwn(params, name)) throw new OAuthHeaderError(`${name} appears twice`);
    params[name] = value;
  }
  const missing = REQUIRED_PARAMS.filter((name) => !Object.hasOwn(params, name));
  if (missing.length > 0) throw new OAuthHeaderError(`missing ${missing.join(', ')}`);
  return { realm, params };
}

function percentDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new OAuthHeaderError('bad percent-encoding');
  }
}

export interface SignedRequest {
  readonly method: string;
  /** The URL as the server received it, including the query. */
  readonly url: string;
  readonly authorization: ParsedAuthorization;
}

/**
 * Recomputes the HMAC-SHA1 signature of `request` with the secrets the server holds for its
 * consumer key and token, and compares in constant time. Nonce and timestamp freshness are
 * the caller's business (they need a clock and a nonce store).
 */
export function verifySignature(
  request: SignedRequest,
  secrets: { consumerSecret: string; tokenSecret: string },
): boolean {
  const { params } = request.authorization;
  if (params['oauth_signature_method'] !== 'HMAC-SHA1') return false;
  const expected = Buffer.from(
    hmacSha1Signature(
      signatureBaseString(request.method, request.url, Object.entries(params)),
      secrets.consumerSecret,
      secrets.tokenSecret,
    ),
  );
  const received = Buffer.from(params['oauth_signature'] ?? '');
  return received.length === expected.length && timingSafeEqual(received, expected);
}

function entries(params: OAuthParams): ReadonlyArray<readonly [string, string]> {
  return Array.isArray(params) ? (params as ReadonlyArray<readonly [string, string]>) : Object.entries(params);
}
