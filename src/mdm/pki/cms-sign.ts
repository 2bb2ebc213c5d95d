/**
 * CMS SignedData (RFC 5652 §5) as Orchard writes it: enrollment profiles (attached content,
 * `application/x-apple-aspen-config`), SCEP CertReps and test signatures (detached). DER
 * throughout, SHA-256, one SignerInfo identified by issuerAndSerialNumber, RSA PKCS#1 v1.5
 * (signatureAlgorithm rsaEncryption, as OpenSSL and Apple write it) or ECDSA when the
 * signer's key is EC. Signed attributes: contentType, messageDigest, signingTime (RFC 5652
 * §11) plus whatever the caller adds (SCEP's messageType, transactionID, …).
 */
import { X509Certificate, createHash, createPrivateKey, sign as signBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import {
  AlgorithmIdentifier,
  Attribute,
  Certificate,
  ContentInfo,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedAndUnsignedAttributes,
  SignedData,
  SignerInfo,
} from 'pkijs';
import { IdentityError, type Identity, pemCertificateDer } from './identity.js';
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
  const digest = createHash('sha256').update(o.content).digest();
  for (const extra of o.extraSignedAttributes ?? []) {
    if (STANDARD_ATTRIBUTES.has(extra.oid)) {
      throw new IdentityError(`signed attribute ${extra.oid} is written by signData itself and cannot be added again`);
    }
  }

  const attributes = [
    attribute(OID.contentType, [new asn1js.ObjectIdentifier({ value: OID.data })]),
    attribute(OID.messageDigest, [new asn1js.OctetString({ valueHex: digest })]),
    attribute(OID.signingTime, [signingTime(o.now)]),
    ...(o.extraSignedAttributes ?? []).map((extra) => attribute(extra.oid, extra.values.map(decodeValue))),
  ];
  // RFC 5652 §5.4: the signature covers the DER of the SET OF attributes, and DER sorts a SET
  // OF by its elements' encodings (X.690 §11.6). Sort once, and write them in that order.
  const sorted = attributes
    .map((a) => ({ a, der: Buffer.from(a.toSchema().toBER()) }))
    .sort((x, y) => Buffer.compare(x.der, y.der));
  const signedAttrsDer = Buffer.from(new asn1js.Set({ value: sorted.map((s) => s.a.toSchema()) }).toBER());

  const isEc = signer.privateKey.asymmetricKeyType === 'ec';
  const signature = signBytes('sha256', signedAttrsDer, signer.privateKey);

  const signerInfo = new SignerInfo({
    version: 1,
    sid: new IssuerAndSerialNumber({
      issuer: signer.certificate.issuer,
      serialNumber: signer.certificate.serialNumber,
    }),
    digestAlgorithm: sha256Identifier(),
    signedAttrs: new SignedAndUnsignedAttributes({ type: 0, attributes: sorted.map((s) => s.a) }),
    signatureAlgorithm: isEc
      ? new AlgorithmIdentifier({ algorithmId: OID.ecdsaWithSha256 })
      : new AlgorithmIdentifier({ algorithmId: OID.rsaEncryption, algorithmParams: new asn1js.Null() }),
    signature: new asn1js.OctetString({ valueHex: signature }),
  });

  // Assigned after construction: the constructor would split the content into a constructed
  // (BER-only) OCTET STRING of 64 KiB pieces.
  const encapContentInfo = new EncapsulatedContentInfo({ eContentType: OID.data });
  if (!o.detached) encapContentInfo.eContent = new asn1js.OctetString({ valueHex: o.content });

  const signedData = new SignedData({
    version: 1,
    digestAlgorithms: [sha256Identifier()],
    encapContentInfo,
    certificates: [signer.certificate, ...(o.extraCertificatesPem ?? []).map(parseCertificate)],
    signerInfos: [signerInfo],
  });
  const contentInfo = new ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  return Buffer.from(contentInfo.toSchema().toBER());
}

const STANDARD_ATTRIBUTES: ReadonlySet<string> = new Set([OID.contentType, OID.messageDigest, OID.signingTime]);

/**
 * A "certs-only" degenerate SignedData (RFC 5652 §5.2 with no signers; RFC 8894 §3.4): how
 * SCEP's GetCACert returns a CA/RA chain and how a CertRep carries the issued certificate.
 * Certificates are given as DER or PEM and embedded exactly as given.
 */
export function certificatesOnly(certificates: readonly (Uint8Array | string)[]): Buffer {
  const parsed = certificates.map((c) => {
    try {
      return Certificate.fromBER(typeof c === 'string' ? pemCertificateDer(c) : c);
    } catch {
      throw new IdentityError('a certificate for the certs-only message cannot be read');
    }
  });
  const encapContentInfo = new EncapsulatedContentInfo({ eContentType: OID.data });
  const signedData = new SignedData({
    version: 1,
    digestAlgorithms: [],
    encapContentInfo,
    certificates: parsed,
    signerInfos: [],
  });
  const contentInfo = new ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  return Buffer.from(contentInfo.toSchema().toBER());
}

interface Signer {
  readonly certificate: Certificate;
  readonly privateKey: KeyObject;
}

// The profile signer signs every enrollment profile: parse its identity once.
const signers = new WeakMap<Identity, Signer>();

function signerOf(identity: Identity): Signer {
  const cached = signers.get(identity);
  if (cached !== undefined) return cached;
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
  if (privateKey.asymmetricKeyType !== 'rsa' && privateKey.asymmetricKeyType !== 'ec') {
    throw new IdentityError(`cannot sign CMS with a ${privateKey.asymmetricKeyType ?? 'unknown'} key`);
  }
  const signer: Signer = { certificate: Certificate.fromBER(x509.raw), privateKey };
  signers.set(identity, signer);
  return signer;
}

function parseCertificate(pem: string): Certificate {
  try {
    return Certificate.fromBER(pemCertificateDer(pem));
  } catch {
    throw new IdentityError('an extra certificate is not a readable PEM certificate');
  }
}

function attribute(type: string, values: asn1js.BaseBlock[]): Attribute {
  return new Attribute({ type, values });
}

function decodeValue(der: Uint8Array): asn1js.BaseBlock {
  const parsed = asn1js.fromBER(der);
  if (parsed.offset !== der.byteLength)
    throw new IdentityError('a signed attribute value is not one DER-encoded ASN.1 value');
  return parsed.result;
}

function sha256Identifier(): AlgorithmIdentifier {
  // RFC 5754 §2: parameters absent for the SHA-2 family.
  return new AlgorithmIdentifier({ algorithmId: OID.sha256 });
}

/** RFC 5652 §11.3: UTCTime for 1950–2049, GeneralizedTime otherwise; whole seconds. */
function signingTime(now: Date): asn1js.BaseBlock {
  const whole = new Date(Math.floor(now.getTime() / 1000) * 1000);
  return whole.getUTCFullYear() < 2050
    ? new asn1js.UTCTime({ valueDate: whole })
    : new asn1js.GeneralizedTime({ valueDate: whole });
}
