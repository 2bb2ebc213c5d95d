/**
 * CMS SignedData (RFC 5652 §5) as Orchard writes it: enrollment profiles (attached content,
 * `application/x-apple-aspen-config`), SCEP CertReps and requests, MachineInfo, and a
 * device's Mdm-Signature in the simulator (detached). DER throughout, SHA-256, one
 * SignerInfo identified by issuerAndSerialNumber, RSA PKCS#1 v1.5 (signatureAlgorithm
 * rsaEncryption, as OpenSSL and Apple write it) or ECDSA when the signer's key is EC. Signed
 * attributes: contentType, messageDigest, signingTime (RFC 5652 §11) plus whatever the caller
 * adds (SCEP's messageType, transactionID, …).
 *
 * Why the DER is written by hand (with `der.ts`) rather than assembled with pkijs: the server
 * signs on every enrollment (the profile, each SCEP CertRep) and a simulated device on every
 * check-in, so this is on the path the enrollment benchmark reports as server CPU per
 * enrollment. Assembled with pkijs, an RSA-2048 profile signature cost 2.9 ms of CPU (a
 * detached check-in 1.4 ms) of which 0.3 ms was the RSA operation; with EC P-256, 3.0 ms for a
 * 0.03 ms signature. Written here: 0.42 / 0.34 ms with RSA, 0.06 / 0.04 ms with EC
 * (`bench/cms-sign.ts`, bench/README.md). The structure never varies, so everything but the
 * digest, the time, the extra attributes and the signature is encoded once (per signer, its
 * certificate, issuerAndSerialNumber and algorithm; per PEM, an extra certificate) and
 * spliced in. pkijs still builds certificates (identity.ts), which is not per request.
 *
 *   ContentInfo { signedData, [0] SignedData {
 *     version 1, digestAlgorithms {sha256}, encapContentInfo {id-data [, [0] content]},
 *     certificates [0] {signer, extras… DER-sorted}, signerInfos { SignerInfo {
 *       version 1, issuerAndSerialNumber, sha256,
 *       signedAttrs [0] {contentType id-data, messageDigest, signingTime, extras…},
 *       rsaEncryption NULL | ecdsa-with-SHA256, signature } } } }
 */
import { X509Certificate, createHash, createPrivateKey, sign as signBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { UniversalTag, child, expectUniversal, isContext, parseBer } from '../../apple/ber.js';
import { NULL, Tag, element, oid, setOf, smallInteger } from './der.js';
import { IdentityError, type Identity } from './identity.js';
import { OID } from './oids.js';

export interface SignedAttribute {
  readonly oid: string;
  /** Each a DER-encoded ASN.1 value (the AttributeValue, e.g. a PrintableString). */
  readonly values: readonly Uint8Array[];
}

export async function signData(o: {
  content: Uint8Array;
  signer: Identity;
  detached: boolean;
  now: Date;
  extraCertificatesPem?: readonly string[];
  extraSignedAttributes?: readonly SignedAttribute[];
}): Promise<Buffer> {
  const signer = signerOf(o.signer);
  const extras = (o.extraSignedAttributes ?? []).map(extraAttribute);
  const digest = createHash('sha256').update(o.content).digest();

  // RFC 5652 §5.4: the signature covers the DER of the SET OF attributes (tag 0x31), and DER
  // sorts a SET OF by its elements' encodings (X.690 §11.6); the same elements, in the same
  // order, go into the SignerInfo under [0] IMPLICIT.
  const attributes = [
    CONTENT_TYPE_DATA,
    attribute(MESSAGE_DIGEST, element(Tag.octetString, digest)),
    attribute(SIGNING_TIME, signingTime(o.now)),
    ...extras,
  ].sort(Buffer.compare);
  const signature = signBytes('sha256', element(Tag.set, ...attributes), signer.privateKey);

  const signerInfo = element(
    Tag.sequence,
    VERSION_1,
    signer.issuerAndSerialNumber,
    SHA256,
    element(Tag.context0, ...attributes),
    signer.signatureAlgorithm,
    element(Tag.octetString, signature),
  );
  const encapContentInfo = o.detached
    ? DETACHED_DATA
    : element(Tag.sequence, DATA, element(Tag.context0, element(Tag.octetString, o.content)));
  // A SET OF, so DER-sorted like the attributes; the order means nothing to a verifier, which
  // finds the signer by issuerAndSerialNumber and builds the chain itself.
  const certificates = [signer.certificateDer, ...(o.extraCertificatesPem ?? []).map(extraCertificate)];
  const signedData = element(
    Tag.sequence,
    VERSION_1,
    DIGEST_ALGORITHMS,
    encapContentInfo,
    setOf(Tag.context0, certificates),
    element(Tag.set, signerInfo),
  );
  return element(Tag.sequence, SIGNED_DATA, element(Tag.context0, signedData));
}

/**
 * Reads and checks a signer identity now instead of at its first signature (the result is
 * cached like any signer's): for long-lived signers that should fail when they are made.
 */
export function checkSigner(identity: Identity): void {
  signerOf(identity);
}

/**
 * A "certs-only" degenerate SignedData (RFC 5652 §5.2 with no signers; RFC 8894 §3.4): how
 * SCEP's GetCACert returns a CA/RA chain and how a CertRep carries the issued certificate.
 * Certificates are given as DER or PEM and embedded exactly as given, in the order given
 * (not DER-sorted: a SCEP client may read the chain in the order the server lists it).
 */
export function certificatesOnly(certificates: readonly (Uint8Array | string)[]): Buffer {
  const ders = certificates.map((c) => {
    if (typeof c === 'string') return certificateDer(c, 'a certificate for the certs-only message cannot be read');
    if (!isCertificateDer(c)) throw new IdentityError('a certificate for the certs-only message cannot be read');
    return c;
  });
  const signedData = element(
    Tag.sequence,
    VERSION_1,
    element(Tag.set),
    DETACHED_DATA,
    element(Tag.context0, ...ders),
    element(Tag.set),
  );
  return element(Tag.sequence, SIGNED_DATA, element(Tag.context0, signedData));
}

// The fixed pieces, encoded once.
const VERSION_1 = smallInteger(1);
const DATA = oid(OID.data);
const SIGNED_DATA = oid(OID.signedData);
const MESSAGE_DIGEST = oid(OID.messageDigest);
const SIGNING_TIME = oid(OID.signingTime);
// RFC 5754 §2: parameters absent for the SHA-2 family and for ECDSA; rsaEncryption takes NULL.
const SHA256 = element(Tag.sequence, oid(OID.sha256));
const DIGEST_ALGORITHMS = element(Tag.set, SHA256);
const RSA_ENCRYPTION = element(Tag.sequence, oid(OID.rsaEncryption), NULL);
const ECDSA_WITH_SHA256 = element(Tag.sequence, oid(OID.ecdsaWithSha256));
const CONTENT_TYPE_DATA = attribute(oid(OID.contentType), DATA);
const DETACHED_DATA = element(Tag.sequence, DATA);
const STANDARD_ATTRIBUTES: ReadonlySet<string> = new Set([OID.contentType, OID.messageDigest, OID.signingTime]);

function attribute(type: Buffer, ...values: Buffer[]): Buffer {
  return element(Tag.sequence, type, element(Tag.set, ...values));
}

function extraAttribute(extra: SignedAttribute): Buffer {
  if (STANDARD_ATTRIBUTES.has(extra.oid)) {
    throw new IdentityError(`signed attribute ${extra.oid} is written by signData itself and cannot be added again`);
  }
  // RFC 5652 §5.3: attrValues is SET SIZE (1..MAX).
  if (extra.values.length === 0) throw new IdentityError(`signed attribute ${extra.oid} has no value`);
  for (const value of extra.values) {
    if (!isOneValue(value)) throw new IdentityError('a signed attribute value is not one DER-encoded ASN.1 value');
  }
  let type: Buffer;
  try {
    type = oid(extra.oid);
  } catch {
    throw new IdentityError(`signed attribute type ${extra.oid} is not an object identifier`);
  }
  return element(Tag.sequence, type, setOf(Tag.set, extra.values));
}

/** RFC 5652 §11.3: UTCTime for 1950–2049, GeneralizedTime otherwise; whole seconds, Z. */
function signingTime(now: Date): Buffer {
  const year = now.getUTCFullYear();
  const two = (n: number) => (n < 10 ? `0${n}` : String(n));
  const rest =
    two(now.getUTCMonth() + 1) +
    two(now.getUTCDate()) +
    two(now.getUTCHours()) +
    two(now.getUTCMinutes()) +
    two(now.getUTCSeconds()) +
    'Z';
  return year >= 1950 && year < 2050
    ? element(Tag.utcTime, Buffer.from(two(year % 100) + rest, 'latin1'))
    : element(Tag.generalizedTime, Buffer.from(String(year).padStart(4, '0') + rest, 'latin1'));
}

interface Signer {
  readonly privateKeyPem: string;
  readonly privateKey: KeyObject;
  readonly certificateDer: Buffer;
  readonly issuerAndSerialNumber: Buffer;
  readonly signatureAlgorithm: Buffer;
}

// Signers are long-lived (the profile signer, the device CA, a device's identity): each is
// parsed and checked once. Keyed by PEM so a fresh object holding the same PEMs still hits;
// bounded so a stream of one-off identities (SCEP's temporary self-signed ones) cannot grow it.
const CACHE_LIMIT = 1024;
const signers = new Map<string, Signer>();
const certificates = new Map<string, Buffer>();

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(key, value);
  return value;
}

function signerOf(identity: Identity): Signer {
  const cached = signers.get(identity.certificatePem);
  if (cached !== undefined && cached.privateKeyPem === identity.privateKeyPem) return cached;
  let privateKey: KeyObject;
  let x509: X509Certificate;
  try {
    privateKey = createPrivateKey(identity.privateKeyPem);
    x509 = new X509Certificate(identity.certificatePem);
  } catch {
    throw new IdentityError('the signer identity’s certificate or key cannot be read');
  }
  if (!x509.checkPrivateKey(privateKey))
    throw new IdentityError('the signer’s private key does not match its certificate');
  const keyType = privateKey.asymmetricKeyType;
  if (keyType !== 'rsa' && keyType !== 'ec') {
    throw new IdentityError(`cannot sign CMS with a ${keyType ?? 'unknown'} key`);
  }
  return remember(signers, identity.certificatePem, {
    privateKeyPem: identity.privateKeyPem,
    privateKey,
    certificateDer: x509.raw,
    issuerAndSerialNumber: issuerAndSerialNumber(x509.raw),
    signatureAlgorithm: keyType === 'ec' ? ECDSA_WITH_SHA256 : RSA_ENCRYPTION,
  });
}

/**
 * RFC 5652 §10.2.4 IssuerAndSerialNumber, copied byte for byte from the certificate
 * (Certificate → tbsCertificate → [0] version?, serialNumber, signature, issuer; RFC 5280
 * §4.1), so a verifier matching it against the embedded certificate compares equal bytes.
 */
function issuerAndSerialNumber(certificate: Buffer): Buffer {
  try {
    const tbs = child(parseBer(certificate), 0, 'tbsCertificate');
    const at = isContext(child(tbs, 0, 'version or serialNumber'), 0) ? 1 : 0;
    const serial = expectUniversal(child(tbs, at, 'serialNumber'), UniversalTag.integer, 'serialNumber');
    const issuer = expectUniversal(child(tbs, at + 2, 'issuer'), UniversalTag.sequence, 'issuer');
    return element(
      Tag.sequence,
      certificate.subarray(issuer.start, issuer.end),
      certificate.subarray(serial.start, serial.end),
    );
  } catch {
    throw new IdentityError('the signer certificate’s issuer and serial number cannot be read');
  }
}

function extraCertificate(pem: string): Buffer {
  return certificateDer(pem, 'an extra certificate is not a readable PEM certificate');
}

function certificateDer(pem: string, unreadable: string): Buffer {
  const cached = certificates.get(pem);
  if (cached !== undefined) return cached;
  try {
    return remember(certificates, pem, new X509Certificate(pem).raw);
  } catch {
    throw new IdentityError(unreadable);
  }
}

/** Exactly one readable certificate, nothing after it. */
function isCertificateDer(der: Uint8Array): boolean {
  try {
    return new X509Certificate(der).raw.equals(der);
  } catch {
    return false;
  }
}

/** One whole ASN.1 element, nothing after it (as the caller promises: one DER value). */
function isOneValue(der: Uint8Array): boolean {
  try {
    return parseBer(der).end === der.byteLength;
  } catch {
    return false;
  }
}
