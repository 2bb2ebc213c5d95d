/**
 * PKCS#10 certification requests (RFC 2986) as SCEP carries them: read one from a device
 * (subject, public key, challengePassword, its own signature checked with node:crypto) and
 * write one for the device simulator. pkijs reads and assembles the structure; node:crypto
 * signs and verifies, so no key goes through WebCrypto.
 */
import { createPublicKey, sign as signBytes, verify as verifyBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AlgorithmIdentifier, Attribute, CertificationRequest, PublicKeyInfo, RelativeDistinguishedNames } from 'pkijs';
import { SIGNATURE_ALGORITHMS } from '../pki/oids.js';
import type { ScepCertificationRequest } from './authority.js';
import { ScepError } from './errors.js';

/** PKCS#9 challengePassword (RFC 2985 §5.4.1), where SCEP puts its Challenge (RFC 8894 §2.2). */
const CHALLENGE_PASSWORD = '1.2.840.113549.1.9.7';
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const ECDSA_WITH_SHA384 = '1.2.840.10045.4.3.3';

/** OpenSSL's short names for the attribute types a device subject uses. */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};
const TYPES_BY_SHORT_NAME: ReadonlyMap<string, string> = new Map(
  Object.entries(SHORT_NAMES).map(([oid, name]) => [name, oid]),
);

/**
 * Reads a CSR and checks its own signature (proof that the requester holds the key).
 * Throws ScepError SCEP_BAD_CSR (malformed), SCEP_BAD_SIGNATURE or SCEP_UNSUPPORTED (algorithm).
 */
export function readCertificationRequest(der: Uint8Array): ScepCertificationRequest {
  let csr: CertificationRequest;
  try {
    const parsed = asn1js.fromBER(der);
    if (parsed.offset !== der.byteLength) throw new Error('trailing or missing bytes');
    csr = new CertificationRequest({ schema: parsed.result });
  } catch {
    throw new ScepError('SCEP_BAD_CSR', 'the PKCS#10 request is malformed');
  }
  if (csr.version !== 0) throw new ScepError('SCEP_BAD_CSR', `PKCS#10 version ${csr.version} is not 0 (v1)`);

  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({
      key: Buffer.from(csr.subjectPublicKeyInfo.toSchema().toBER()),
      format: 'der',
      type: 'spki',
    });
  } catch {
    throw new ScepError('SCEP_UNSUPPORTED', 'the request’s public key cannot be read');
  }

  const algorithm = SIGNATURE_ALGORITHMS.get(csr.signatureAlgorithm.algorithmId);
  if (algorithm === undefined || algorithm.hash === null || algorithm.key !== publicKey.asymmetricKeyType) {
    throw new ScepError(
      'SCEP_UNSUPPORTED',
      `signature algorithm ${csr.signatureAlgorithm.algorithmId} with a ${publicKey.asymmetricKeyType ?? 'unknown'} key`,
    );
  }
  let valid = false;
  try {
    valid = verifyBytes(algorithm.hash, csr.tbsView, publicKey, csr.signatureValue.valueBlock.valueHexView);
  } catch {
    valid = false;
  }
  if (!valid) throw new ScepError('SCEP_BAD_SIGNATURE', 'the PKCS#10 request’s signature does not verify');

  return {
    der: Buffer.from(der),
    challengePassword: challengePassword(csr.attributes ?? []),
    publicKey,
    subject: csr.subject.typesAndValues.map((tv) => [SHORT_NAMES[tv.type] ?? tv.type, stringValue(tv.value)] as const),
  };
}

function challengePassword(attributes: readonly Attribute[]): string | null {
  const found = attributes.filter((a) => a.type === CHALLENGE_PASSWORD);
  if (found.length === 0) return null;
  const [attribute] = found;
  const value = attribute?.values[0];
  if (found.length > 1 || attribute === undefined || attribute.values.length !== 1 || value === undefined) {
    throw new ScepError('SCEP_BAD_CSR', 'challengePassword must have exactly one value');
  }
  // DirectoryString (RFC 2985 §5.4.1): PrintableString, UTF8String, BMPString, …
  if (!(value instanceof asn1js.BaseStringBlock)) {
    throw new ScepError('SCEP_BAD_CSR', 'challengePassword is not a string');
  }
  return value.getValue();
}

function stringValue(value: asn1js.BaseBlock): string {
  if (value instanceof asn1js.BaseStringBlock) return value.getValue();
  // RFC 4514 §2.4: a value with no string form is written as '#' and the hex of its BER.
  return `#${Buffer.from(value.toBER()).toString('hex')}`;
}

/**
 * A signed CSR, the way an Apple device's SCEP payload makes one: subject as given (one
 * attribute per RDN, UTF8String except countryName), the challenge as a PrintableString
 * challengePassword when it fits that repertoire (UTF8String otherwise), SHA-256.
 */
export function buildCertificationRequest(o: {
  subject: readonly (readonly [string, string])[];
  challenge: string | null;
  publicKey: KeyObject;
  privateKey: KeyObject;
}): Buffer {
  const csr = new CertificationRequest();
  csr.version = 0;
  csr.subject = RelativeDistinguishedNames.fromBER(encodeName(o.subject));
  csr.subjectPublicKeyInfo = PublicKeyInfo.fromBER(o.publicKey.export({ type: 'spki', format: 'der' }));
  csr.attributes =
    o.challenge === null ? [] : [new Attribute({ type: CHALLENGE_PASSWORD, values: [directoryString(o.challenge)] })];
  const { oid, hash } = signatureFor(o.privateKey);
  csr.signatureAlgorithm = new AlgorithmIdentifier({
    algorithmId: oid,
    ...(oid === SHA256_WITH_RSA ? { algorithmParams: new asn1js.Null() } : {}),
  });
  // pkijs: toSchema(true) encodes the fields afresh; toSchema() writes tbsView as it is.
  const tbs = new Uint8Array(csr.toSchema(true).valueBlock.value[0]?.toBER() ?? new ArrayBuffer(0));
  csr.tbsView = tbs;
  csr.signatureValue = new asn1js.BitString({ valueHex: signBytes(hash, tbs, o.privateKey) });
  return Buffer.from(csr.toSchema().toBER());
}

function signatureFor(key: KeyObject): { oid: string; hash: 'sha256' | 'sha384' } {
  if (key.asymmetricKeyType === 'rsa') return { oid: SHA256_WITH_RSA, hash: 'sha256' };
  if (key.asymmetricKeyType === 'ec') {
    return key.asymmetricKeyDetails?.namedCurve === 'secp384r1'
      ? { oid: ECDSA_WITH_SHA384, hash: 'sha384' }
      : { oid: ECDSA_WITH_SHA256, hash: 'sha256' };
  }
  throw new ScepError('SCEP_UNSUPPORTED', `cannot sign a request with a ${key.asymmetricKeyType ?? 'unknown'} key`);
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

function directoryString(value: string): asn1js.BaseBlock {
  return PRINTABLE.test(value) ? new asn1js.PrintableString({ value }) : new asn1js.Utf8String({ value });
}

/** A Name as a SEQUENCE of single-valued RDNs, in the order given. */
function encodeName(subject: readonly (readonly [string, string])[]): ArrayBuffer {
  const rdns = subject.map(([attribute, value]) => {
    const type = TYPES_BY_SHORT_NAME.get(attribute) ?? (/^\d+(\.\d+)+$/.test(attribute) ? attribute : undefined);
    if (type === undefined) throw new ScepError('SCEP_BAD_CSR', `unknown name attribute ${attribute}`);
    const encoded = type === '2.5.4.6' ? new asn1js.PrintableString({ value }) : new asn1js.Utf8String({ value });
    return new asn1js.Set({
      value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: type }), encoded] })],
    });
  });
  return new asn1js.Sequence({ value: rdns }).toBER();
}
