/**
 * Certificates Orchard makes: its device CA, the identities that CA issues (SCEP device
 * identities, the profile signer) and self-signed ones. pkijs assembles the X.509 structure
 * (RFC 5280); node:crypto makes the keys and the signature, so a key never has to be
 * imported into WebCrypto. `now` is always passed in.
 *
 * Profiles (RFC 5280 §4.2.1):
 * - `ca`: basicConstraints CA:true (critical), keyUsage keyCertSign + cRLSign (critical), SKI.
 * - `client-identity` (the MDM/device identity a device presents): CA:false, keyUsage
 *   digitalSignature + keyEncipherment (what SCEP's `Key Usage` 5 asks for), EKU clientAuth,
 *   SKI + AKI.
 * - `signing` (the enrollment-profile signer): CA:false, keyUsage digitalSignature, EKU
 *   emailProtection, SKI + AKI. Why emailProtection: `openssl smime -verify` and
 *   `openssl cms -verify` check the signer for the S/MIME signing purpose by default, which
 *   accepts a certificate with no EKU or with emailProtection and refuses any other EKU
 *   ("unsupported certificate purpose"); naming it keeps the certificate honest about its
 *   one use while every default verifier (and `-purpose any`) accepts it. Apple devices do
 *   not look at the EKU of a profile signer.
 */
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  sign as signBytes,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import { AlgorithmIdentifier, Certificate, Extension, PublicKeyInfo, RelativeDistinguishedNames, Time } from 'pkijs';
import { OID } from './oids.js';

export interface Identity {
  readonly certificatePem: string;
  /** PKCS#8 PEM (`BEGIN PRIVATE KEY`). */
  readonly privateKeyPem: string;
}

export type NameAttribute = 'CN' | 'O' | 'OU' | 'C' | 'L' | 'ST' | 'serialNumber';
/** In order, most significant first as written in a certificate: `[['C','US'],['O','Acme'],['CN','…']]`. */
export type DistinguishedName = readonly (readonly [NameAttribute, string])[];
export type CertificateProfile = 'ca' | 'client-identity' | 'signing';

export interface IssuedCertificate {
  readonly certificatePem: string;
  readonly certificateDer: Buffer;
  /** Lowercase hex of the serial number's magnitude (as `openssl x509 -serial` prints it, lowercased). */
  readonly serialNumberHex: string;
  /** SHA-256 of the DER, lowercase hex. */
  readonly sha256Hex: string;
}

/** Bad input to the certificate maker (a key that does not fit, a name that cannot be encoded). */
export class IdentityError extends Error {
  readonly code = 'IDENTITY_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'IdentityError';
  }
}

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const generateKeyPairAsync = promisify(generateKeyPair);

export async function createCertificateAuthority(o: {
  subject: DistinguishedName;
  now: Date;
  validityDays: number;
}): Promise<Identity> {
  return createIdentity({ subject: o.subject, now: o.now, validityDays: o.validityDays, profile: 'ca' });
}

export async function issueCertificate(o: {
  issuer: Identity;
  subject: DistinguishedName;
  /** A KeyObject (public or private) or SubjectPublicKeyInfo DER. */
  publicKey: KeyObject | Uint8Array;
  now: Date;
  validityDays: number;
  profile: CertificateProfile;
}): Promise<IssuedCertificate> {
  const issuer = issuerOf(o.issuer);
  return build({
    subjectName: encodeName(o.subject),
    spki: spkiDer(o.publicKey),
    issuerName: issuer.name,
    issuerKeyId: issuer.keyId,
    signingKey: issuer.privateKey,
    now: o.now,
    validityDays: o.validityDays,
    profile: o.profile,
  });
}

export async function createIdentity(o: {
  subject: DistinguishedName;
  /** Self-signed when absent. */
  issuer?: Identity;
  now: Date;
  validityDays: number;
  profile: CertificateProfile;
  /** Default `rsa-2048`; ignored when a key pair is passed. */
  keyType?: 'rsa-2048' | 'ec-p256';
  /** With an existing key pair: both halves. */
  publicKey?: KeyObject;
  privateKey?: KeyObject;
}): Promise<Identity> {
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  if (o.privateKey !== undefined || o.publicKey !== undefined) {
    if (o.privateKey === undefined || o.privateKey.type !== 'private') {
      throw new IdentityError('an existing key pair needs its private key');
    }
    privateKey = o.privateKey;
    publicKey = o.publicKey ?? createPublicKey(o.privateKey);
    if (!sameKey(createPublicKey(privateKey), publicKey)) {
      throw new IdentityError('the public key is not the private key’s other half');
    }
  } else {
    const pair =
      o.keyType === 'ec-p256'
        ? await generateKeyPairAsync('ec', { namedCurve: 'prime256v1' })
        : await generateKeyPairAsync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
    privateKey = pair.privateKey;
    publicKey = pair.publicKey;
  }
  const subjectName = encodeName(o.subject);
  const spki = spkiDer(publicKey);
  let issuerName = subjectName;
  let issuerKeyId = keyIdentifier(spki);
  let signingKey = privateKey;
  if (o.issuer !== undefined) {
    const issuer = issuerOf(o.issuer);
    issuerName = issuer.name;
    issuerKeyId = issuer.keyId;
    signingKey = issuer.privateKey;
  }
  const issued = build({
    subjectName,
    spki,
    issuerName,
    issuerKeyId,
    signingKey,
    now: o.now,
    validityDays: o.validityDays,
    profile: o.profile,
  });
  return {
    certificatePem: issued.certificatePem,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** SHA-256 of a certificate's DER (given as DER or PEM), lowercase hex. */
export function certificateSha256(certificate: Uint8Array | string): string {
  const der = typeof certificate === 'string' ? pemCertificateDer(certificate) : certificate;
  return createHash('sha256').update(der).digest('hex');
}

/** The DER inside the first `CERTIFICATE` block of a PEM string. */
export function pemCertificateDer(pem: string): Buffer {
  const match = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (match === null || match[1] === undefined) throw new IdentityError('no PEM certificate found');
  return Buffer.from(match[1].replace(/\s+/g, ''), 'base64');
}

export function certificatePem(der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

// --- issuing ---------------------------------------------------------------------------

interface Issuer {
  /** The issuer certificate's subject Name, exactly as encoded there (RFC 5280 §7.1 compares names). */
  readonly name: Uint8Array;
  readonly keyId: Uint8Array;
  readonly privateKey: KeyObject;
}

// A device CA issues one certificate per enrolling device: parse and check its identity once.
const issuers = new WeakMap<Identity, Issuer>();

function issuerOf(identity: Identity): Issuer {
  const cached = issuers.get(identity);
  if (cached !== undefined) return cached;
  let x509: X509Certificate;
  let privateKey: KeyObject;
  try {
    x509 = new X509Certificate(identity.certificatePem);
    privateKey = createPrivateKey(identity.privateKeyPem);
  } catch {
    throw new IdentityError('the issuer identity’s certificate or key cannot be read');
  }
  if (!x509.checkPrivateKey(privateKey))
    throw new IdentityError('the issuer’s private key does not match its certificate');
  if (x509.ca !== true) throw new IdentityError(`the issuer ${x509.subject.replace(/\n/g, ', ')} is not a CA`);
  const cert = Certificate.fromBER(x509.raw);
  const ski = cert.extensions?.find((e) => e.extnID === OID.subjectKeyIdentifier);
  const keyId =
    ski?.parsedValue instanceof asn1js.OctetString
      ? new Uint8Array(ski.parsedValue.valueBlock.valueHexView)
      : keyIdentifier(spkiDer(x509.publicKey));
  const issuer: Issuer = { name: new Uint8Array(cert.subject.valueBeforeDecode), keyId, privateKey };
  issuers.set(identity, issuer);
  return issuer;
}

interface BuildRequest {
  readonly subjectName: Uint8Array;
  readonly spki: Uint8Array;
  readonly issuerName: Uint8Array;
  readonly issuerKeyId: Uint8Array;
  readonly signingKey: KeyObject;
  readonly now: Date;
  readonly validityDays: number;
  readonly profile: CertificateProfile;
}

function build(r: BuildRequest): IssuedCertificate {
  if (!Number.isFinite(r.validityDays) || r.validityDays <= 0) throw new IdentityError('validityDays must be positive');
  const nowMs = r.now.getTime();
  if (!Number.isFinite(nowMs)) throw new IdentityError('now is not a valid date');
  const signature = signatureAlgorithmFor(r.signingKey);
  const serial = randomSerial();

  const cert = new Certificate();
  cert.version = 2; // v3
  cert.serialNumber = new asn1js.Integer({ valueHex: serial });
  cert.signature = signature.identifier();
  cert.signatureAlgorithm = signature.identifier();
  cert.issuer = RelativeDistinguishedNames.fromBER(r.issuerName);
  cert.subject = RelativeDistinguishedNames.fromBER(r.subjectName);
  // An hour early: a device whose clock is a little behind still sees a valid certificate.
  cert.notBefore = x509Time(new Date(nowMs - HOUR_MS));
  cert.notAfter = x509Time(new Date(nowMs + r.validityDays * DAY_MS));
  cert.subjectPublicKeyInfo = PublicKeyInfo.fromBER(r.spki);
  cert.extensions = extensionsFor(r.profile, keyIdentifier(r.spki), r.issuerKeyId);

  cert.tbsView = new Uint8Array(cert.encodeTBS().toBER());
  const signatureValue = signBytes(signature.hash, cert.tbsView, r.signingKey);
  cert.signatureValue = new asn1js.BitString({ valueHex: signatureValue });
  const der = Buffer.from(cert.toSchema().toBER());
  return {
    certificateDer: der,
    certificatePem: certificatePem(der),
    serialNumberHex: Buffer.from(serial).toString('hex'),
    sha256Hex: createHash('sha256').update(der).digest('hex'),
  };
}

function extensionsFor(profile: CertificateProfile, subjectKeyId: Uint8Array, authorityKeyId: Uint8Array): Extension[] {
  const ski = extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: subjectKeyId }));
  // RFC 5280 §4.2.1.1: AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING, … }
  const aki = extension(
    OID.authorityKeyIdentifier,
    false,
    new asn1js.Sequence({
      value: [new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: authorityKeyId })],
    }),
  );
  switch (profile) {
    case 'ca':
      return [
        extension(OID.basicConstraints, true, new asn1js.Sequence({ value: [new asn1js.Boolean({ value: true })] })),
        extension(OID.keyUsage, true, keyUsage([KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign])),
        ski,
      ];
    case 'client-identity':
      return [
        // cA DEFAULT FALSE is left out in DER (X.690 §11.5).
        extension(OID.basicConstraints, true, new asn1js.Sequence()),
        extension(OID.keyUsage, true, keyUsage([KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment])),
        extension(
          OID.extKeyUsage,
          false,
          new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID.clientAuth })] }),
        ),
        ski,
        aki,
      ];
    case 'signing':
      return [
        extension(OID.basicConstraints, true, new asn1js.Sequence()),
        extension(OID.keyUsage, true, keyUsage([KEY_USAGE.digitalSignature])),
        extension(
          OID.extKeyUsage,
          false,
          new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID.emailProtection })] }),
        ),
        ski,
        aki,
      ];
  }
}

function extension(extnID: string, critical: boolean, value: asn1js.BaseBlock): Extension {
  return new Extension({ extnID, critical, extnValue: value.toBER() });
}

const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

/** KeyUsage BIT STRING in DER: trailing zero bits dropped and counted as unused (X.690 §11.2.2). */
function keyUsage(bits: readonly number[]): asn1js.BitString {
  let value = 0;
  for (const bit of bits) value |= 0x80 >> bit;
  let unused = 0;
  while (unused < 7 && (value & (1 << unused)) === 0) unused++;
  return new asn1js.BitString({ valueHex: new Uint8Array([value]), unusedBits: unused });
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bits. */
function keyIdentifier(spki: Uint8Array): Uint8Array {
  const info = PublicKeyInfo.fromBER(spki);
  return createHash('sha1').update(info.subjectPublicKey.valueBlock.valueHexView).digest();
}

/** RFC 5280 §4.1.2.2: positive, at most 20 octets; the high bit is cleared, the next set (fixed length). */
function randomSerial(): Uint8Array {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes;
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime after; whole seconds. */
function x509Time(date: Date): Time {
  const whole = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return new Time({ type: whole.getUTCFullYear() < 2050 ? 0 : 1, value: whole });
}

interface CertificateSignature {
  readonly hash: 'sha256' | 'sha384';
  identifier(): AlgorithmIdentifier;
}

function signatureAlgorithmFor(key: KeyObject): CertificateSignature {
  if (key.asymmetricKeyType === 'rsa') {
    return {
      hash: 'sha256',
      // RFC 4055 §5: parameters NULL for sha256WithRSAEncryption.
      identifier: () => new AlgorithmIdentifier({ algorithmId: OID.sha256WithRsa, algorithmParams: new asn1js.Null() }),
    };
  }
  if (key.asymmetricKeyType === 'ec') {
    // RFC 5758 §3.2: no parameters. SHA-384 for a P-384 key, the curve's strength.
    const p384 = key.asymmetricKeyDetails?.namedCurve === 'secp384r1';
    return {
      hash: p384 ? 'sha384' : 'sha256',
      identifier: () => new AlgorithmIdentifier({ algorithmId: p384 ? OID.ecdsaWithSha384 : OID.ecdsaWithSha256 }),
    };
  }
  throw new IdentityError(`cannot sign certificates with a ${key.asymmetricKeyType ?? 'unknown'} key`);
}

function spkiDer(key: KeyObject | Uint8Array): Buffer {
  try {
    const publicKey =
      key instanceof Uint8Array
        ? createPublicKey({ key: Buffer.from(key), format: 'der', type: 'spki' })
        : key.type === 'public'
          ? key
          : createPublicKey(key);
    return publicKey.export({ type: 'spki', format: 'der' });
  } catch {
    throw new IdentityError('the public key is not a readable SubjectPublicKeyInfo');
  }
}

function sameKey(a: KeyObject, b: KeyObject): boolean {
  return a.export({ type: 'spki', format: 'der' }).equals(b.export({ type: 'spki', format: 'der' }));
}

// --- names -----------------------------------------------------------------------------

const NAME_TYPES: Readonly<Record<NameAttribute, string>> = {
  CN: OID.commonName,
  O: OID.organization,
  OU: OID.organizationalUnit,
  C: OID.country,
  L: OID.locality,
  ST: OID.stateOrProvince,
  serialNumber: OID.serialNumber,
};

// X.680 §41.4 PrintableString repertoire.
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]+$/;

/**
 * A Name as a SEQUENCE of single-valued RDNs. (pkijs' own encoder puts every attribute in one
 * multi-valued RDN, which OpenSSL prints as `CN=a + O=b`.) countryName and serialNumber are
 * PrintableString by definition (X.520); the rest UTF8String (RFC 5280 §4.1.2.4).
 */
function encodeName(name: DistinguishedName): Uint8Array {
  if (name.length === 0) throw new IdentityError('a certificate name needs at least one attribute');
  const rdns = name.map(([attribute, value]) => {
    const type = NAME_TYPES[attribute];
    if (type === undefined) throw new IdentityError(`unknown name attribute ${String(attribute)}`);
    if (value.length === 0 || value.length > 64) throw new IdentityError(`${attribute} must be 1 to 64 characters`);
    let encoded: asn1js.BaseBlock;
    if (attribute === 'C' || attribute === 'serialNumber') {
      if (!PRINTABLE.test(value) || (attribute === 'C' && !/^[A-Z]{2}$/.test(value))) {
        throw new IdentityError(`${attribute} "${value}" cannot be a PrintableString`);
      }
      encoded = new asn1js.PrintableString({ value });
    } else {
      encoded = new asn1js.Utf8String({ value });
    }
    return new asn1js.Set({
      value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: type }), encoded] })],
    });
  });
  return new Uint8Array(new asn1js.Sequence({ value: rdns }).toBER());
}
