/**
 * The `Mdm-Signature` header a device puts on every check-in and command report when its
 * profile says SignMessage: base64 of a detached CMS SignedData (RFC 5652 §5) over the exact
 * body, signed by the SCEP identity, carrying that certificate (apple-protocols.md §3.1).
 *
 * Why the simulator writes its own DER instead of calling `signData` (src/mdm/pki/cms-sign.ts):
 * a device signs six or more messages per enrollment, and assembling each with pkijs cost
 * ~6 ms against ~1 ms for the RSA signature itself — most of the simulator's CPU in a fleet
 * run. The structure never varies, so everything but the digest, the time and the signature
 * is encoded once per identity. It is also the device's own encoder, not the server's: the
 * server's verifier is checked against code it does not share (and OpenSSL, in the tests).
 *
 *   ContentInfo { signedData, [0] SignedData {
 *     version 1, digestAlgorithms {sha256}, encapContentInfo {id-data} (no content: detached),
 *     certificates [0] {identity}, signerInfos { SignerInfo {
 *       version 1, issuerAndSerialNumber, sha256,
 *       signedAttrs [0] {contentType id-data, messageDigest, signingTime},
 *       rsaEncryption NULL | ecdsa-with-SHA256, signature } } } }
 */
import { X509Certificate, createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { UniversalTag, child, expectUniversal, isContext, parseBer } from '../apple/ber.js';
import type { Identity } from '../mdm/pki/identity.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  sha256: '2.16.840.1.101.3.4.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
} as const;

export class DeviceSigner {
  private readonly privateKey: KeyObject;
  private readonly certificateDer: Buffer;
  private readonly issuerAndSerial: Buffer;
  private readonly signatureAlgorithm: Buffer;

  constructor(identity: Identity) {
    const certificate = new X509Certificate(identity.certificatePem);
    this.privateKey = createPrivateKey(identity.privateKeyPem);
    if (!certificate.checkPrivateKey(this.privateKey))
      throw new Error('the identity’s key does not match its certificate');
    this.certificateDer = certificate.raw;
    // Certificate → tbsCertificate → [0] version, serialNumber, signature, issuer (RFC 5280 §4.1).
    const tbs = child(parseBer(this.certificateDer), 0, 'tbsCertificate');
    const first = child(tbs, 0, 'version or serialNumber');
    const at = isContext(first, 0) ? 1 : 0;
    const serial = expectUniversal(child(tbs, at, 'serialNumber'), UniversalTag.integer, 'serialNumber');
    const issuer = expectUniversal(child(tbs, at + 2, 'issuer'), UniversalTag.sequence, 'issuer');
    this.issuerAndSerial = tlv(
      0x30,
      this.certificateDer.subarray(issuer.start, issuer.end),
      this.certificateDer.subarray(serial.start, serial.end),
    );
    this.signatureAlgorithm =
      this.privateKey.asymmetricKeyType === 'ec'
        ? algorithm(OID.ecdsaWithSha256)
        : algorithm(OID.rsaEncryption, Buffer.from([0x05, 0x00]));
  }

  /** The header value: base64 DER. */
  signatureHeader(body: Uint8Array, now: Date): string {
    return this.sign(body, now).toString('base64');
  }

  sign(body: Uint8Array, now: Date): Buffer {
    const digest = createHash('sha256').update(body).digest();
    // RFC 5652 §5.4: the signature covers the DER SET OF the attributes, sorted as DER sorts
    // a SET OF (X.690 §11.6); the same bytes go into the SignerInfo with tag [0].
    const attributes = [
      attribute(OID.contentType, oid(OID.data)),
      attribute(OID.messageDigest, tlv(0x04, digest)),
      attribute(OID.signingTime, utcTime(now)),
    ].sort(Buffer.compare);
    const signedAttributes = tlv(0x31, ...attributes);
    const signature = sign('sha256', signedAttributes, this.privateKey);
    const signerInfo = tlv(
      0x30,
      integerOne(),
      this.issuerAndSerial,
      algorithm(OID.sha256),
      tlv(0xa0, ...attributes),
      this.signatureAlgorithm,
      tlv(0x04, signature),
    );
    const signedData = tlv(
      0x30,
      integerOne(),
      tlv(0x31, algorithm(OID.sha256)),
      tlv(0x30, oid(OID.data)),
      tlv(0xa0, this.certificateDer),
      tlv(0x31, signerInfo),
    );
    return tlv(0x30, oid(OID.signedData), tlv(0xa0, signedData));
  }
}

function tlv(tag: number, ...contents: Uint8Array[]): Buffer {
  const length = contents.reduce((sum, c) => sum + c.length, 0);
  let header: Buffer;
  if (length < 0x80) header = Buffer.from([tag, length]);
  else {
    const bytes: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([header, ...contents]);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes: number[] = [(parts[0] ?? 0) * 40 + (parts[1] ?? 0)];
  for (const part of parts.slice(2)) {
    const base128: number[] = [];
    for (let n = part; ; n = Math.floor(n / 128)) {
      base128.unshift((n % 128) | (base128.length === 0 ? 0 : 0x80));
      if (n < 128) break;
    }
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function algorithm(id: string, parameters?: Buffer): Buffer {
  // RFC 5754 §2: SHA-2 digests and ECDSA without parameters; rsaEncryption with NULL.
  return parameters === undefined ? tlv(0x30, oid(id)) : tlv(0x30, oid(id), parameters);
}

function attribute(type: string, value: Buffer): Buffer {
  return tlv(0x30, oid(type), tlv(0x31, value));
}

function integerOne(): Buffer {
  return Buffer.from([0x02, 0x01, 0x01]);
}

/** RFC 5652 §11.3: UTCTime YYMMDDHHMMSSZ for 1950–2049 (a simulated device lives in that range). */
function utcTime(now: Date): Buffer {
  const two = (n: number) => String(n).padStart(2, '0');
  const text =
    two(now.getUTCFullYear() % 100) +
    two(now.getUTCMonth() + 1) +
    two(now.getUTCDate()) +
    two(now.getUTCHours()) +
    two(now.getUTCMinutes()) +
    two(now.getUTCSeconds()) +
    'Z';
  return tlv(0x17, Buffer.from(text, 'ascii'));
}
