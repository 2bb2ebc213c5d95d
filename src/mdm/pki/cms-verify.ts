/**
 * Verifies a CMS SignedData (RFC 5652 §5) from a device: MachineInfo at enrollment (attached
 * content) and the `Mdm-Signature` of every check-in (detached, over the HTTP body). This
 * proves who signed the content; whether that signer is trusted is `trust.ts`'s job.
 *
 * - Encodings: DER, and BER with indefinite lengths and constructed OCTET STRINGs (Apple
 *   devices and `openssl cms -stream` write BER).
 * - Signer: the first SignerInfo whose certificate is in the message, matched by
 *   issuerAndSerialNumber or subjectKeyIdentifier (RFC 5652 §5.3). One signer is enough.
 * - With signed attributes, contentType must equal eContentType and messageDigest the digest
 *   of the content (§11.1, §11.2); the signature covers the attributes as received with the
 *   SET OF tag (§5.4). Without them the signature covers the content itself.
 * - Digests SHA-1/224/256/384/512; RSA PKCS#1 v1.5 and ECDSA on P-256/P-384/P-521.
 *   RSASSA-PSS and anything else is CMS_UNSUPPORTED_ALGORITHM.
 * - Anything malformed is a CmsError; no other exception escapes.
 *
 * Why the structure is read with the repository's BER reader (`src/apple/ber.ts`) and not
 * with asn1js + pkijs, which `cms-sign.ts` and `identity.ts` use to build: this runs on every
 * check-in, and on a 1.4 KiB OpenSSL-made message asn1js 4 took ~1 ms to parse and pkijs'
 * schema matching ~4 ms more, against ~0.03 ms for the BER reader (which also handles BER,
 * bounds depth and element count, and only throws BerError). The reader keeps byte offsets,
 * so certificates go to X509Certificate and signed attributes to the verifier exactly as
 * they arrived: nothing is re-encoded except the one tag §5.4 replaces. The content is
 * hashed once.
 */
import { X509Certificate, createHash, verify as verifySignature } from 'node:crypto';
import {
  BerError,
  type BerNode,
  TagClass,
  UniversalTag,
  child,
  decodeOid,
  expectUniversal,
  integerMagnitude,
  isContext,
  isUniversal,
  octetStringValue,
  parseBer,
  readOid,
} from '../../apple/ber.js';
import { DIGESTS, EC_CURVES, OID, SIGNATURE_ALGORITHMS } from './oids.js';

export type CmsErrorCode =
  | 'CMS_MALFORMED'
  | 'CMS_NO_SIGNER'
  | 'CMS_SIGNATURE_INVALID'
  | 'CMS_UNSUPPORTED_ALGORITHM'
  | 'CMS_CONTENT_MISSING'
  | 'CMS_TOO_LARGE';

/** Why a signed message was refused. `message` is for logs and support, never for devices. */
export class CmsError extends Error {
  constructor(
    readonly code: CmsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CmsError';
  }
}

export interface VerifiedSignedData {
  /** The attached content, or the detached content passed in. */
  readonly content: Buffer;
  readonly signer: X509Certificate;
  /** Every X.509 certificate the SignedData carries (the signer among them), in order. */
  readonly certificates: readonly X509Certificate[];
  /** Signed attribute OID → the DER of each of its values; empty when there are none. */
  readonly signedAttributes: ReadonlyMap<string, readonly Buffer[]>;
  /** The eContentType OID (id-data for MachineInfo and check-ins). */
  readonly contentType: string;
}

/**
 * A MachineInfo with the device's certificate chain is a few KiB; a check-in signature less.
 * The limit bounds the work a hostile body can cause before any signature is checked.
 */
export const DEFAULT_MAX_CMS_BYTES = 256 * 1024;

// X.509 inside CMS nests about 12 deep; 20,000 elements is a dozen certificates many times over.
const PARSE_LIMITS = { maxDepth: 40, maxNodes: 20_000 } as const;

/**
 * @param o.detachedContent the signed bytes when the signature is detached (the HTTP body for
 *   `Mdm-Signature`). If the message carries content too, the two must be identical: a
 *   caller that passes the body must never end up trusting other bytes.
 * @param o.maxBytes the largest `cms` accepted (default {@link DEFAULT_MAX_CMS_BYTES}); the
 *   detached content is the caller's to bound.
 */
export async function verifySignedData(
  cms: Uint8Array,
  o: { detachedContent?: Uint8Array; maxBytes?: number } = {},
): Promise<VerifiedSignedData> {
  if (cms.byteLength > (o.maxBytes ?? DEFAULT_MAX_CMS_BYTES)) {
    throw new CmsError(
      'CMS_TOO_LARGE',
      `signed data of ${cms.byteLength} bytes exceeds the limit of ${o.maxBytes ?? DEFAULT_MAX_CMS_BYTES}`,
    );
  }
  try {
    return verify(cms, o.detachedContent);
  } catch (error) {
    if (error instanceof CmsError) throw error;
    if (error instanceof BerError) throw new CmsError('CMS_MALFORMED', `not a CMS SignedData: ${error.message}`);
    // Nothing else is expected; still, a hostile message must never surface as a 500.
    throw new CmsError(
      'CMS_MALFORMED',
      `unreadable CMS SignedData (${error instanceof Error ? error.name : 'unknown'})`,
    );
  }
}

function verify(cms: Uint8Array, detachedContent: Uint8Array | undefined): VerifiedSignedData {
  const signedData = readSignedData(cms);
  const content = chooseContent(signedData, detachedContent);
  const { signerInfo, certificate } = findSigner(signedData);

  const digest = DIGESTS.get(signerInfo.digestAlgorithm);
  if (digest === undefined)
    throw new CmsError('CMS_UNSUPPORTED_ALGORITHM', `digest algorithm ${signerInfo.digestAlgorithm}`);
  const algorithm = SIGNATURE_ALGORITHMS.get(signerInfo.signatureAlgorithm);
  if (algorithm === undefined) {
    throw new CmsError('CMS_UNSUPPORTED_ALGORITHM', `signature algorithm ${signerInfo.signatureAlgorithm}`);
  }
  const signer = certificate.x509;
  const publicKey = signer.publicKey;
  if (publicKey.asymmetricKeyType !== algorithm.key) {
    throw new CmsError(
      'CMS_SIGNATURE_INVALID',
      `signature algorithm ${signerInfo.signatureAlgorithm} does not fit the signer's ${publicKey.asymmetricKeyType ?? 'unknown'} key`,
    );
  }
  const curve = publicKey.asymmetricKeyDetails?.namedCurve;
  if (algorithm.key === 'ec' && (curve === undefined || !EC_CURVES.has(curve))) {
    throw new CmsError('CMS_UNSUPPORTED_ALGORITHM', `ECDSA on curve ${curve ?? 'unknown'}`);
  }

  const signedAttributes = new Map<string, Buffer[]>();
  let signedBytes: Uint8Array = content;
  if (signerInfo.signedAttrs !== null) {
    for (const attribute of signerInfo.signedAttrs.children) {
      const type = readOid(child(attribute, 0, 'attrType'), 'attrType');
      const values = expectUniversal(child(attribute, 1, 'attrValues'), UniversalTag.set, 'attrValues');
      const list = signedAttributes.get(type) ?? [];
      for (const value of values.children) list.push(slice(cms, value));
      signedAttributes.set(type, list);
    }
    checkContentTypeAttribute(signedAttributes, signedData.contentType);
    checkMessageDigest(signedAttributes, createHash(digest).update(content).digest());
    // §5.4: the signature is over the DER of `SET OF Attribute`, i.e. the [0] IMPLICIT field
    // with its tag octet replaced by the SET tag (0x31).
    const attrs = Buffer.from(cms.subarray(signerInfo.signedAttrs.start, signerInfo.signedAttrs.end));
    attrs[0] = 0x31;
    signedBytes = attrs;
  }

  let valid: boolean;
  try {
    valid = verifySignature(algorithm.hash ?? digest, signedBytes, publicKey, signerInfo.signature);
  } catch {
    valid = false; // e.g. an ECDSA signature that is not a DER Ecdsa-Sig-Value
  }
  if (!valid) throw new CmsError('CMS_SIGNATURE_INVALID', 'the signature does not verify with the signer certificate');

  return {
    // Attached content is copied out of the input; detached content is the caller's own.
    content:
      content === detachedContent
        ? Buffer.from(content.buffer, content.byteOffset, content.byteLength)
        : Buffer.from(content),
    signer,
    certificates: signedData.certificates.map((c) => c.x509),
    signedAttributes,
    contentType: signedData.contentType,
  };
}

// --- reading the structure -------------------------------------------------------------

interface EmbeddedCertificate {
  readonly x509: X509Certificate;
  /** The issuer Name's encoding and the serial's magnitude, for issuerAndSerialNumber. */
  readonly issuer: Uint8Array;
  readonly serial: Uint8Array;
  readonly subjectKeyId: Uint8Array | null;
}

interface ReadSignerInfo {
  readonly sid:
    | { readonly kind: 'issuerAndSerialNumber'; readonly issuer: Uint8Array; readonly serial: Uint8Array }
    | { readonly kind: 'subjectKeyIdentifier'; readonly keyId: Uint8Array };
  readonly digestAlgorithm: string;
  /** The `[0] IMPLICIT SET OF Attribute` node, or null without signed attributes. */
  readonly signedAttrs: BerNode | null;
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
}

interface ReadSignedData {
  readonly contentType: string;
  readonly eContent: Uint8Array | null;
  readonly certificates: readonly EmbeddedCertificate[];
  readonly signerInfos: readonly ReadSignerInfo[];
}

function readSignedData(cms: Uint8Array): ReadSignedData {
  if (cms.byteLength === 0) throw new CmsError('CMS_MALFORMED', 'empty input');
  const root = parseBer(cms, 0, PARSE_LIMITS);
  if (root.end !== cms.byteLength)
    throw new CmsError('CMS_MALFORMED', `${cms.byteLength - root.end} bytes after the ContentInfo`);
  // ContentInfo ::= SEQUENCE { contentType, content [0] EXPLICIT ANY } (§3)
  expectUniversal(root, UniversalTag.sequence, 'ContentInfo');
  const contentType = readOid(child(root, 0, 'contentType'), 'contentType');
  if (contentType !== OID.signedData)
    throw new CmsError('CMS_MALFORMED', `content type ${contentType} is not SignedData`);
  const explicit = child(root, 1, 'content');
  if (!isContext(explicit, 0) || !explicit.constructed)
    throw new CmsError('CMS_MALFORMED', 'ContentInfo content is not [0]');
  const sd = expectUniversal(child(explicit, 0, 'SignedData'), UniversalTag.sequence, 'SignedData');

  // SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo,
  //   certificates [0] IMPLICIT OPTIONAL, crls [1] IMPLICIT OPTIONAL, signerInfos SET } (§5.1)
  const fields = sd.children;
  expectUniversal(child(sd, 0, 'version'), UniversalTag.integer, 'version');
  expectUniversal(child(sd, 1, 'digestAlgorithms'), UniversalTag.set, 'digestAlgorithms');
  const encap = expectUniversal(child(sd, 2, 'encapContentInfo'), UniversalTag.sequence, 'encapContentInfo');
  let next = 3;
  let certificates: EmbeddedCertificate[] = [];
  const certificateSet = fields[next];
  if (certificateSet !== undefined && isContext(certificateSet, 0)) {
    if (!certificateSet.constructed) throw new CmsError('CMS_MALFORMED', 'certificates is not a SET');
    certificates = certificateSet.children
      // Other choices (attribute certificates [1]/[2], other [3]) carry no signer key.
      .filter((c) => isUniversal(c, UniversalTag.sequence))
      .map((c, i) => readCertificate(cms, c, i));
    next++;
  }
  const crls = fields[next];
  if (crls !== undefined && isContext(crls, 1)) next++;
  const signerInfos = expectUniversal(child(sd, next, 'signerInfos'), UniversalTag.set, 'signerInfos');
  if (next + 1 !== fields.length) throw new CmsError('CMS_MALFORMED', 'unexpected fields after signerInfos');

  // EncapsulatedContentInfo ::= SEQUENCE { eContentType, eContent [0] EXPLICIT OCTET STRING OPTIONAL }
  const eContentType = readOid(child(encap, 0, 'eContentType'), 'eContentType');
  let eContent: Uint8Array | null = null;
  const wrapped = encap.children[1];
  if (wrapped !== undefined) {
    if (!isContext(wrapped, 0) || !wrapped.constructed) throw new CmsError('CMS_MALFORMED', 'eContent is not [0]');
    const octets = child(wrapped, 0, 'eContent');
    if (!isUniversal(octets, UniversalTag.octetString))
      throw new CmsError('CMS_MALFORMED', 'eContent is not an OCTET STRING');
    eContent = octetStringValue(octets);
  }

  return {
    contentType: eContentType,
    eContent,
    certificates,
    signerInfos: signerInfos.children.map((n) => readSignerInfo(cms, n)),
  };
}

function readSignerInfo(cms: Uint8Array, node: BerNode): ReadSignerInfo {
  // SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm, signedAttrs [0] IMPLICIT OPTIONAL,
  //   signatureAlgorithm, signature OCTET STRING, unsignedAttrs [1] IMPLICIT OPTIONAL } (§5.3)
  expectUniversal(node, UniversalTag.sequence, 'SignerInfo');
  expectUniversal(child(node, 0, 'SignerInfo version'), UniversalTag.integer, 'SignerInfo version');
  const sidNode = child(node, 1, 'sid');
  let sid: ReadSignerInfo['sid'];
  if (isUniversal(sidNode, UniversalTag.sequence) && sidNode.constructed) {
    const issuer = expectUniversal(child(sidNode, 0, 'issuer'), UniversalTag.sequence, 'issuer');
    sid = {
      kind: 'issuerAndSerialNumber',
      issuer: cms.subarray(issuer.start, issuer.end),
      serial: integerMagnitude(child(sidNode, 1, 'serialNumber'), 'serialNumber'),
    };
  } else if (isContext(sidNode, 0)) {
    sid = { kind: 'subjectKeyIdentifier', keyId: octetStringValue(sidNode) };
  } else {
    throw new CmsError('CMS_MALFORMED', 'sid is neither issuerAndSerialNumber nor subjectKeyIdentifier');
  }
  const digestAlgorithm = algorithmOid(child(node, 2, 'digestAlgorithm'), 'digestAlgorithm');
  let i = 3;
  let signedAttrs: BerNode | null = null;
  const maybeAttrs = child(node, i, 'signatureAlgorithm');
  if (isContext(maybeAttrs, 0)) {
    if (!maybeAttrs.constructed) throw new CmsError('CMS_MALFORMED', 'signedAttrs is not a SET');
    signedAttrs = maybeAttrs;
    i++;
  }
  const signatureAlgorithm = algorithmOid(child(node, i, 'signatureAlgorithm'), 'signatureAlgorithm');
  const signatureNode = child(node, i + 1, 'signature');
  if (!isUniversal(signatureNode, UniversalTag.octetString))
    throw new CmsError('CMS_MALFORMED', 'signature is not an OCTET STRING');
  return { sid, digestAlgorithm, signedAttrs, signatureAlgorithm, signature: octetStringValue(signatureNode) };
}

function readCertificate(cms: Uint8Array, node: BerNode, index: number): EmbeddedCertificate {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cms.subarray(node.start, node.end));
  } catch {
    throw new CmsError('CMS_MALFORMED', `certificate ${index} cannot be read`);
  }
  // TBSCertificate ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, serialNumber, signature,
  //   issuer, validity, subject, subjectPublicKeyInfo, …, extensions [3] EXPLICIT } (RFC 5280 §4.1)
  const tbs = expectUniversal(child(node, 0, 'tbsCertificate'), UniversalTag.sequence, 'tbsCertificate');
  const first = child(tbs, 0, 'serialNumber');
  const at = isContext(first, 0) ? 1 : 0;
  const serial = integerMagnitude(child(tbs, at, 'serialNumber'), 'serialNumber');
  const issuer = expectUniversal(child(tbs, at + 2, 'issuer'), UniversalTag.sequence, 'issuer');
  let subjectKeyId: Uint8Array | null = null;
  const extensions = tbs.children.find((c) => isContext(c, 3));
  if (extensions !== undefined) {
    const list = expectUniversal(child(extensions, 0, 'extensions'), UniversalTag.sequence, 'extensions');
    for (const extension of list.children) {
      if (readOid(child(extension, 0, 'extnID'), 'extnID') !== OID.subjectKeyIdentifier) continue;
      const extnValue = child(extension, extension.children.length - 1, 'extnValue');
      if (!isUniversal(extnValue, UniversalTag.octetString))
        throw new CmsError('CMS_MALFORMED', 'extnValue is not an OCTET STRING');
      const keyId = parseBer(octetStringValue(extnValue), 0, PARSE_LIMITS);
      if (!isUniversal(keyId, UniversalTag.octetString))
        throw new CmsError('CMS_MALFORMED', 'subjectKeyIdentifier is not an OCTET STRING');
      subjectKeyId = octetStringValue(keyId);
    }
  }
  return { x509, issuer: cms.subarray(issuer.start, issuer.end), serial, subjectKeyId };
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } */
function algorithmOid(node: BerNode, what: string): string {
  expectUniversal(node, UniversalTag.sequence, what);
  return readOid(child(node, 0, what), what);
}

function chooseContent(signedData: ReadSignedData, detached: Uint8Array | undefined): Uint8Array {
  if (signedData.eContent === null) {
    if (detached === undefined) {
      throw new CmsError(
        'CMS_CONTENT_MISSING',
        'the signature is detached and no content was given to check it against',
      );
    }
    return detached;
  }
  if (
    detached !== undefined &&
    !Buffer.from(detached.buffer, detached.byteOffset, detached.byteLength).equals(signedData.eContent)
  ) {
    throw new CmsError('CMS_SIGNATURE_INVALID', 'the message carries content other than the content given');
  }
  return signedData.eContent;
}

function findSigner(signedData: ReadSignedData): { signerInfo: ReadSignerInfo; certificate: EmbeddedCertificate } {
  if (signedData.signerInfos.length === 0) throw new CmsError('CMS_NO_SIGNER', 'no SignerInfo');
  for (const signerInfo of signedData.signerInfos) {
    const certificate = signedData.certificates.find((c) => identifies(signerInfo, c));
    if (certificate !== undefined) return { signerInfo, certificate };
  }
  throw new CmsError('CMS_NO_SIGNER', 'no SignerInfo names a certificate the message carries');
}

function identifies(signerInfo: ReadSignerInfo, certificate: EmbeddedCertificate): boolean {
  const sid = signerInfo.sid;
  if (sid.kind === 'subjectKeyIdentifier')
    return certificate.subjectKeyId !== null && equal(sid.keyId, certificate.subjectKeyId);
  // Names compared as encoded: a signer copies its certificate's issuer field (RFC 5652 §10.2.4).
  return equal(sid.serial, certificate.serial) && equal(sid.issuer, certificate.issuer);
}

function checkContentTypeAttribute(attributes: ReadonlyMap<string, readonly Buffer[]>, eContentType: string): void {
  const value = parseBer(single(attributes, OID.contentType, 'contentType'), 0, PARSE_LIMITS);
  if (!isUniversal(value, UniversalTag.oid) || value.constructed) {
    throw new CmsError('CMS_MALFORMED', 'the contentType attribute is not an OBJECT IDENTIFIER');
  }
  const signed = decodeOid(value.content);
  if (signed !== eContentType) {
    throw new CmsError(
      'CMS_SIGNATURE_INVALID',
      `signed content type ${signed} differs from eContentType ${eContentType}`,
    );
  }
}

function checkMessageDigest(attributes: ReadonlyMap<string, readonly Buffer[]>, digest: Buffer): void {
  const value = parseBer(single(attributes, OID.messageDigest, 'messageDigest'), 0, PARSE_LIMITS);
  if (!isUniversal(value, UniversalTag.octetString) || value.tagClass !== TagClass.universal) {
    throw new CmsError('CMS_MALFORMED', 'the messageDigest attribute is not an OCTET STRING');
  }
  if (!digest.equals(octetStringValue(value))) {
    throw new CmsError('CMS_SIGNATURE_INVALID', 'the messageDigest attribute does not match the content');
  }
}

/** RFC 5652 §11.1/§11.2: exactly one attribute of the type, with exactly one value. */
function single(attributes: ReadonlyMap<string, readonly Buffer[]>, oid: string, name: string): Buffer {
  const values = attributes.get(oid);
  if (values === undefined) throw new CmsError('CMS_MALFORMED', `signed attributes without ${name}`);
  const [value] = values;
  if (values.length !== 1 || value === undefined)
    throw new CmsError('CMS_MALFORMED', `${name} must have exactly one value`);
  return value;
}

/** A copy: results must not change if the caller reuses the input buffer. */
function slice(buf: Uint8Array, node: BerNode): Buffer {
  return Buffer.from(buf.subarray(node.start, node.end));
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
