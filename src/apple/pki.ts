/**
 * The key pair and certificate ("public key") an admin uploads to an MDM server in Apple
 * Business Manager, which ABM then encrypts the server token to (apple-protocols.md §1).
 * The RSA key comes from node:crypto (OpenSSL); node-forge only assembles and signs the
 * X.509 structure, which node:crypto cannot build.
 */
import { X509Certificate, createHash, createPrivateKey, generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

export interface TokenKeyPairRequest {
  /** Shown to the admin in ABM, e.g. "Orchard ABM token — Acme Corp / Main Office". */
  readonly commonName: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly now: Date;
}

export interface TokenKeyPair {
  /** PKCS#8 PEM (`BEGIN PRIVATE KEY`). */
  readonly privateKeyPem: string;
  /** X.509 PEM (`BEGIN CERTIFICATE`), the file the admin uploads to ABM. */
  readonly certificatePem: string;
}

const generateRsaKeyPair = promisify(generateKeyPair);

const HOUR_MS = 60 * 60 * 1000;
// X.520 upper bounds (RFC 5280 appendix A.1: ub-common-name, ub-organization-name, …).
const MAX_NAME_CHARS = 64;

export async function generateTokenKeyPair(request: TokenKeyPairRequest): Promise<TokenKeyPair> {
  if (cleanName(request.commonName) === '') throw new RangeError('a token certificate needs a non-empty common name');
  const { privateKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // forge reads PKCS#1 and PKCS#8 PEM alike; the key object is only used to sign once.
  const forgeKey = forge.pki.privateKeyFromPem(privateKeyPem);

  const cert = forge.pki.createCertificate();
  cert.version = 2; // X.509 v3
  cert.serialNumber = randomSerialHex();
  cert.publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  // Start an hour early so a client clock slightly behind ours still sees a valid
  // certificate; Apple ignores the dates, but keep the certificate valid for two years.
  cert.validity.notBefore = new Date(request.now.getTime() - HOUR_MS);
  const notAfter = new Date(request.now.getTime());
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + 2);
  cert.validity.notAfter = notAfter;

  const name = subjectAttributes(request);
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    // Lets CMS encoders that address recipients by key id (`openssl cms -keyid`) use it.
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forgeKey, forge.md.sha256.create());

  return { privateKeyPem, certificatePem: forge.pki.certificateToPem(cert) };
}

/** SHA-256 of the certificate's DER, lowercase hex without separators. */
export function certificateFingerprint(certificatePem: string): string {
  return createHash('sha256').update(new X509Certificate(certificatePem).raw).digest('hex');
}

/** Whether `privateKeyPem` is the private half of the certificate's public key. */
export function certificateMatchesKey(certificatePem: string, privateKeyPem: string): boolean {
  try {
    return new X509Certificate(certificatePem).checkPrivateKey(createPrivateKey(privateKeyPem));
  } catch {
    return false; // unreadable PEM on either side cannot be a matching pair
  }
}

/**
 * RFC 5280 §4.1.2.2: positive, at most 20 octets. 16 random octets with the top bit clear
 * (positive) and the next bit set (so DER needs no leading zero and the length is fixed).
 */
function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

function subjectAttributes(request: TokenKeyPairRequest): forge.pki.CertificateField[] {
  const attributes: forge.pki.CertificateField[] = [];
  if (request.organization !== undefined && cleanName(request.organization) !== '') {
    attributes.push(utf8Attribute('organizationName', request.organization));
  }
  if (request.organizationalUnit !== undefined && cleanName(request.organizationalUnit) !== '') {
    attributes.push(utf8Attribute('organizationalUnitName', request.organizationalUnit));
  }
  attributes.push(utf8Attribute('commonName', request.commonName));
  return attributes;
}

/**
 * forge writes PrintableString unless told otherwise, which cannot hold a customer name like
 * "Bäckerei Müller — Zürich": ask for UTF8String (RFC 5280 §4.1.2.4); forge then encodes the
 * JS string as UTF-8 itself. Values are cut to the X.520 length bound, by code point.
 */
function utf8Attribute(name: string, value: string): forge.pki.CertificateField {
  const chars = Array.from(cleanName(value));
  const bounded = chars.length > MAX_NAME_CHARS ? `${chars.slice(0, MAX_NAME_CHARS - 1).join('')}…` : chars.join('');
  return { name, value: bounded, valueTagClass: forge.asn1.Type.UTF8 as number };
}

/** Customer and site names come from user input: no control characters, single spaces. */
function cleanName(value: string): string {
  return value
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
