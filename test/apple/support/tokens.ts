// Server token contents for tests: the values in the Apple-issued fixture's README, and a
// synthetic token shaped like Apple's (apple-protocols.md §1) for tokens made at test time.
import { readFileSync } from 'node:fs';

/** test/fixtures/apple-issued-token: see its README. */
const FIXTURE_DIR = new URL('../../fixtures/apple-issued-token/', import.meta.url);

export const appleFixture = {
  file: readFileSync(new URL('server-token.p7m', FIXTURE_DIR)),
  /** PKCS#1 (`BEGIN RSA PRIVATE KEY`), as the fixture's README says. */
  privateKeyPem: readFileSync(new URL('key.pem', FIXTURE_DIR), 'utf8'),
  certificatePem: readFileSync(new URL('cert.pem', FIXTURE_DIR), 'utf8'),
  expected: {
    consumerKey: 'CK_75b2eb55cec9641e869a7d2c88b4bf1f7ffee504716571d191306385b8647ead9a4239ad6a2095ea0197feb46ce61399',
    consumerSecret: 'CS_810bb5ab05e53becb3bfbe40b3608a0c9039c457',
    accessToken: 'AT_O8474885631Oe8ddece11c1a70077b340e281a2c4e2c4924a54cO1737111741803',
    accessSecret: 'AS_97b944021a19633782a36c2a85038a46d6acaa06',
    accessTokenExpiry: new Date('2026-01-17T11:02:21Z'),
  },
};

/** The fixture's base64 body, decoded: BER EnvelopedData exactly as ABM encoded it. */
export function appleFixtureDer(): Buffer {
  const text = appleFixture.file.toString('latin1');
  return Buffer.from(text.slice(text.indexOf('\n\n') + 2), 'base64');
}

/** A moment while every token in these tests is valid. */
export const NOW = new Date('2025-06-01T12:00:00Z');

export const syntheticToken = {
  consumerKey: 'CK_3f9a1c0d5e7b2a4c6e8f0a1b3c5d7e9f11223344556677889900aabbccddeeff0011223344556677889900aabb',
  consumerSecret: 'CS_0123456789abcdef0123456789abcdef01234567',
  accessToken: 'AT_O1234567890O0123456789abcdef0123456789abcdef01234567O1748779200000',
  accessSecret: 'AS_fedcba9876543210fedcba9876543210fedcba98',
  accessTokenExpiry: new Date('2026-06-01T12:00:00Z'),
};

export function tokenJson(fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    consumer_key: syntheticToken.consumerKey,
    consumer_secret: syntheticToken.consumerSecret,
    access_token: syntheticToken.accessToken,
    access_secret: syntheticToken.accessSecret,
    access_token_expiry: '2026-06-01T12:00:00Z',
    ...fields,
  });
}

export interface InnerShape {
  readonly mimeHeader: boolean;
  readonly armour: boolean;
  readonly eol?: '\n' | '\r\n';
}

export const INNER_SHAPES: readonly InnerShape[] = [
  { mimeHeader: true, armour: true },
  { mimeHeader: false, armour: true },
  { mimeHeader: true, armour: false, eol: '\r\n' },
  { mimeHeader: false, armour: false },
];

/** The decrypted content of a token as Apple writes it, optionally without its wrappings. */
export function innerContent(shape: InnerShape, json = tokenJson()): string {
  const eol = shape.eol ?? '\n';
  const body = shape.armour ? `-----BEGIN MESSAGE-----${eol}${json}${eol}-----END MESSAGE-----${eol}` : `${json}${eol}`;
  const header = shape.mimeHeader
    ? `Content-Type: text/plain;charset=UTF-8${eol}Content-Transfer-Encoding: 7bit${eol}${eol}`
    : '';
  return header + body;
}

export function describeShape(shape: InnerShape): string {
  return `${shape.mimeHeader ? 'MIME header' : 'no MIME header'}, ${shape.armour ? 'BEGIN MESSAGE armour' : 'bare JSON'}${shape.eol === '\r\n' ? ', CRLF' : ''}`;
}
