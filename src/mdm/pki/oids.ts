/**
 * Object identifiers and algorithm tables shared by the PKI modules (RFC 5652 CMS, RFC 5280
 * X.509, RFC 3279/4055/5758 algorithm identifiers). One owner for each OID string, so the
 * signer and the verifier can never disagree about what an algorithm is called.
 */

export const OID = {
  // RFC 5652 §4, §5 and §11 (content types and signed attributes)
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  // RFC 5280 §4.2.1 certificate extensions
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  // RFC 5280 §4.2.1.12 key purposes
  clientAuth: '1.3.6.1.5.5.7.3.2',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  // RFC 4519 / X.520 attribute types used in names
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  country: '2.5.4.6',
  locality: '2.5.4.7',
  stateOrProvince: '2.5.4.8',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  // Keys and signatures (RFC 8017, RFC 5480, RFC 5758)
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

/** Node/OpenSSL digest name for a CMS digestAlgorithm (RFC 5754; SHA-1 per RFC 3370 §2.1). */
export const DIGESTS: ReadonlyMap<string, HashName> = new Map<string, HashName>([
  ['1.3.14.3.2.26', 'sha1'],
  ['2.16.840.1.101.3.4.2.4', 'sha224'],
  ['2.16.840.1.101.3.4.2.1', 'sha256'],
  ['2.16.840.1.101.3.4.2.2', 'sha384'],
  ['2.16.840.1.101.3.4.2.3', 'sha512'],
]);

export type HashName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export interface SignatureAlgorithm {
  readonly key: 'rsa' | 'ec';
  /** The hash the algorithm names, or null when the SignerInfo's digestAlgorithm decides. */
  readonly hash: HashName | null;
}

/**
 * SignerInfo signatureAlgorithm values seen in the wild. OpenSSL and Apple write plain
 * rsaEncryption (RFC 3370 §3.2 allows it; the hash is the digestAlgorithm); other signers
 * write sha256WithRSAEncryption and friends. Some ECDSA signers write id-ecPublicKey.
 */
export const SIGNATURE_ALGORITHMS: ReadonlyMap<string, SignatureAlgorithm> = new Map<string, SignatureAlgorithm>([
  [OID.rsaEncryption, { key: 'rsa', hash: null }],
  ['1.2.840.113549.1.1.5', { key: 'rsa', hash: 'sha1' }],
  ['1.2.840.113549.1.1.14', { key: 'rsa', hash: 'sha224' }],
  [OID.sha256WithRsa, { key: 'rsa', hash: 'sha256' }],
  ['1.2.840.113549.1.1.12', { key: 'rsa', hash: 'sha384' }],
  ['1.2.840.113549.1.1.13', { key: 'rsa', hash: 'sha512' }],
  [OID.ecPublicKey, { key: 'ec', hash: null }],
  ['1.2.840.10045.4.1', { key: 'ec', hash: 'sha1' }],
  ['1.2.840.10045.4.3.1', { key: 'ec', hash: 'sha224' }],
  [OID.ecdsaWithSha256, { key: 'ec', hash: 'sha256' }],
  [OID.ecdsaWithSha384, { key: 'ec', hash: 'sha384' }],
  ['1.2.840.10045.4.3.4', { key: 'ec', hash: 'sha512' }],
]);

/** Curves accepted for ECDSA signers (Node's names for P-256, P-384, P-521). */
export const EC_CURVES: ReadonlySet<string> = new Set(['prime256v1', 'secp384r1', 'secp521r1']);
