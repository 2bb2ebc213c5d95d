/**
 * Server tokens exactly as Apple Business Manager issues them (apple-protocols.md §1 and
 * test/fixtures/apple-issued-token): OAuth credentials in Apple's shapes, wrapped in
 * `-----BEGIN MESSAGE-----` armour inside a small MIME part, encrypted as a CMS
 * EnvelopedData in BER with indefinite lengths — one KeyTransRecipientInfo naming the
 * uploaded certificate by issuer and serial, RSA PKCS#1 v1.5 key transport, AES-128-CBC
 * content — and delivered as base64 under Apple's four S/MIME headers.
 */
import { X509Certificate, constants, createCipheriv, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { BerError, UniversalTag, child, expectUniversal, isContext, parseBer } from '../apple/ber.js';
import { NULL, Tag, definite, indefinite, oid, smallInteger } from './ber-writer.js';

const OID_ENVELOPED_DATA = '1.2.840.113549.1.7.3';
const OID_DATA = '1.2.840.113549.1.7.1';
const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const OID_AES_128_CBC = '2.16.840.1.101.3.4.1.2';

export interface OAuthCredentials {
  readonly consumerKey: string;
  readonly consumerSecret: string;
  readonly accessToken: string;
  readonly accessSecret: string;
  readonly accessTokenExpiry: Date;
}

export class CertificateUploadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateUploadError';
  }
}

export interface RecipientCertificate {
  /** The certificate re-exported as clean PEM. */
  readonly pem: string;
  readonly publicKey: KeyObject;
  /** DER of the issuer Name and serial INTEGER, copied byte for byte from the certificate. */
  readonly issuer: Buffer;
  readonly serial: Buffer;
}

/**
 * Checks an uploaded "public key" the way ABM's MDM server settings do: it has to be an X.509
 * certificate (PEM) with an RSA key, since the token is RSA-encrypted to it.
 */
export function readRecipientCertificate(text: string): RecipientCertificate {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '')
    throw new CertificateUploadError('The public key file is empty. Choose the .pem file your MDM server gave you.');
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(trimmed)) {
    throw new CertificateUploadError(
      'This file is a private key. Upload the public key certificate (-----BEGIN CERTIFICATE-----) and keep the private key secret.',
    );
  }
  if (/-----BEGIN (RSA )?PUBLIC KEY-----/.test(trimmed)) {
    throw new CertificateUploadError(
      'This file is a bare public key. Upload the X.509 certificate (-----BEGIN CERTIFICATE-----) your MDM server made.',
    );
  }
  if (!trimmed.includes('-----BEGIN CERTIFICATE-----')) {
    throw new CertificateUploadError('The file is not a PEM certificate (expected -----BEGIN CERTIFICATE-----).');
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(trimmed);
  } catch {
    throw new CertificateUploadError('The certificate could not be read: the PEM is damaged or incomplete.');
  }
  const publicKey = certificate.publicKey;
  if (publicKey.asymmetricKeyType !== 'rsa') {
    throw new CertificateUploadError(
      `The certificate has a ${publicKey.asymmetricKeyType ?? 'non-RSA'} key; Apple encrypts server tokens with RSA, so the certificate needs an RSA key.`,
    );
  }
  try {
    const der = certificate.raw;
    const tbs = expectUniversal(child(parseBer(der), 0, 'tbsCertificate'), UniversalTag.sequence, 'tbsCertificate');
    // TBSCertificate ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, serialNumber, signature, issuer, … }
    const first = isContext(child(tbs, 0, 'version or serial'), 0) ? 1 : 0;
    const serial = expectUniversal(child(tbs, first, 'serialNumber'), UniversalTag.integer, 'serialNumber');
    const issuer = expectUniversal(child(tbs, first + 2, 'issuer'), UniversalTag.sequence, 'issuer');
    return {
      pem: certificate.toString(),
      publicKey,
      issuer: Buffer.from(der.subarray(issuer.start, issuer.end)),
      serial: Buffer.from(der.subarray(serial.start, serial.end)),
    };
  } catch (error) {
    if (error instanceof BerError) throw new CertificateUploadError(`The certificate is malformed (${error.message}).`);
    throw error;
  }
}

/**
 * Fresh credentials in Apple's shapes: `CK_` + 96 hex, `CS_`/`AS_` + 40 hex, and
 * `AT_O<org digits>O<40 hex>O<issue time in ms>`; valid for one year, to the second, as Apple
 * issues them, or for `validForDays` (the sandbox's own option, so expiry reminders can be seen).
 */
export function makeCredentials(orgDigits: string, issuedAtMs: number, validForDays?: number): OAuthCredentials {
  const expiry = new Date(Math.floor(issuedAtMs / 1000) * 1000);
  if (validForDays === undefined) expiry.setUTCFullYear(expiry.getUTCFullYear() + 1);
  else expiry.setTime(expiry.getTime() + validForDays * 24 * 60 * 60 * 1000);
  return {
    consumerKey: `CK_${randomBytes(48).toString('hex')}`,
    consumerSecret: `CS_${randomBytes(20).toString('hex')}`,
    accessToken: `AT_O${orgDigits}O${randomBytes(20).toString('hex')}O${issuedAtMs}`,
    accessSecret: `AS_${randomBytes(20).toString('hex')}`,
    accessTokenExpiry: expiry,
  };
}

/** The decrypted content, byte for byte in Apple's layout: CRLF headers, LF armour. */
export function tokenContent(credentials: OAuthCredentials): string {
  const json = JSON.stringify({
    consumer_key: credentials.consumerKey,
    consumer_secret: credentials.consumerSecret,
    access_token: credentials.accessToken,
    access_secret: credentials.accessSecret,
    access_token_expiry: credentials.accessTokenExpiry.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });
  return (
    'Content-Type: text/plain;charset=UTF-8\r\n' +
    'Content-Transfer-Encoding: 7bit\r\n' +
    '\r\n' +
    `-----BEGIN MESSAGE-----\n${json}\n-----END MESSAGE-----\n`
  );
}

/** CMS EnvelopedData (RFC 5652 §6) in Apple's BER layout. */
export function envelope(content: Buffer, recipient: RecipientCertificate): Buffer {
  const key = randomBytes(16);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  const ciphertext = Buffer.concat([cipher.update(content), cipher.final()]);
  // Encrypting with PKCS#1 v1.5 is still allowed on Node 20 (only decryption was disabled).
  const encryptedKey = publicEncrypt({ key: recipient.publicKey, padding: constants.RSA_PKCS1_PADDING }, key);

  const recipientInfo = definite(
    Tag.sequence,
    smallInteger(0), // version 0: rid is issuerAndSerialNumber
    definite(Tag.sequence, recipient.issuer, recipient.serial),
    definite(Tag.sequence, oid(OID_RSA_ENCRYPTION), NULL),
    definite(Tag.octetString, encryptedKey),
  );
  // encryptedContent [0] IMPLICIT OCTET STRING in the constructed form, as streaming
  // encoders write it: primitive segments inside an indefinite-length [0].
  const segments: Buffer[] = [];
  for (let offset = 0; offset < ciphertext.length; offset += 1024) {
    segments.push(definite(Tag.octetString, ciphertext.subarray(offset, offset + 1024)));
  }
  const encryptedContentInfo = indefinite(
    Tag.sequence,
    oid(OID_DATA),
    definite(Tag.sequence, oid(OID_AES_128_CBC), definite(Tag.octetString, iv)),
    indefinite(Tag.context0, ...segments),
  );
  const envelopedData = indefinite(
    Tag.sequence,
    smallInteger(0),
    definite(Tag.set, recipientInfo),
    encryptedContentInfo,
  );
  return indefinite(Tag.sequence, oid(OID_ENVELOPED_DATA), indefinite(Tag.context0, envelopedData));
}

/** Apple's S/MIME wrapping: four headers, a blank line, base64 at 76 columns, LF line ends. */
export function smimeFile(cms: Buffer): Buffer {
  const base64 = cms.toString('base64');
  const lines: string[] = [];
  for (let offset = 0; offset < base64.length; offset += 76) lines.push(base64.slice(offset, offset + 76));
  return Buffer.from(
    'Content-Type: application/pkcs7-mime; name="smime.p7m"; smime-type=enveloped-data\n' +
      'Content-Transfer-Encoding: base64\n' +
      'Content-Disposition: attachment; filename="smime.p7m"\n' +
      'Content-Description: S/MIME Encrypted Message\n' +
      '\n' +
      `${lines.join('\n')}\n`,
    'ascii',
  );
}

/** The whole `.p7m` file for `credentials`, encrypted to `certificatePem`. */
export function issueServerTokenFile(credentials: OAuthCredentials, certificatePem: string): Buffer {
  const recipient = readRecipientCertificate(certificatePem);
  return smimeFile(envelope(Buffer.from(tokenContent(credentials), 'utf8'), recipient));
}

/**
 * ABM names downloads `<server name>_Token_<time>_smime.p7m`; characters that file systems
 * refuse become "_".
 */
export function tokenFileName(serverName: string, issuedAtMs: number): string {
  const stamp = new Date(issuedAtMs)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '-');
  const safeName = serverName.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').trim() || 'MDM_Server';
  return `${safeName}_Token_${stamp}_smime.p7m`;
}
