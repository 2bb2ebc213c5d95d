/**
 * Opens a CMS / PKCS#7 EnvelopedData (RFC 5652 §6) with one of the key pairs we hold: parse
 * the BER, find the KeyTransRecipientInfo that names one of our certificates, unwrap the
 * content-encryption key with RSA, and decrypt the content with node:crypto.
 *
 * Why RSA PKCS#1 v1.5 is unwrapped by hand: Node 20 refuses `privateDecrypt` with
 * RSA_PKCS1_PADDING (CVE-2023-46809), and node-forge's pure-JS RSA takes ~30 ms per
 * 2048-bit decryption and is not constant time. Instead OpenSSL does the raw (blinded) RSA
 * operation with RSA_NO_PADDING and we decode EME-PKCS1-v1_5 (RFC 8017 §7.2.2) ourselves,
 * with implicit rejection: on bad padding we carry on with a random key (RFC 3218 §2.3.2),
 * so a padding failure looks exactly like a damaged ciphertext (no Bleichenbacher oracle).
 */
import {
  X509Certificate,
  constants,
  createDecipheriv,
  createHash,
  createPrivateKey,
  privateDecrypt,
  randomBytes,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  BerError,
  type BerNode,
  TagClass,
  UniversalTag,
  child,
  decodeString,
  expectUniversal,
  integerMagnitude,
  isContext,
  isUniversal,
  octetStringValue,
  parseBer,
  readOid,
} from './ber.js';
import { TokenCorruptError, TokenWrongKeyError, type TokenRecipient } from './errors.js';

export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  authEnvelopedData: '1.2.840.113549.1.9.16.1.23',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  pSpecified: '1.2.840.113549.1.1.9',
  subjectKeyIdentifier: '2.5.29.14',
} as const;

const HASHES: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

interface ContentCipher {
  readonly name: string;
  readonly keyLength: number;
  readonly blockLength: number;
}

// Apple uses AES-128-CBC; OpenSSL and other tools produce the rest.
const CONTENT_CIPHERS: Readonly<Record<string, ContentCipher>> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16, blockLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24, blockLength: 16 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32, blockLength: 16 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24, blockLength: 8 },
};

/**
 * Single DES-CBC (1.3.14.3.2.7), only for callers that opt in: micromdm's scepclient 2.1
 * (Debian's `scep`) encrypts its SCEP request with it whatever the server advertises. Node's
 * OpenSSL 3 has no des-cbc without the legacy provider, but 3DES-EDE with K1 = K2 = K3 is
 * single DES, so the 8-byte key is used three times.
 */
const DES_CBC_OID = '1.3.14.3.2.7';
const DES_CBC: ContentCipher = { name: 'des-ede3-cbc', keyLength: 8, blockLength: 8 };

export interface OpenEnvelopeOptions {
  /** Accept single DES-CBC content encryption (legacy SCEP clients); never for Apple tokens. */
  readonly allowDesCbc?: boolean;
}

export interface RecipientKeyPair {
  readonly id: string;
  readonly privateKeyPem: string;
  readonly certificatePem: string;
}

export interface OpenedEnvelope {
  readonly content: Buffer;
  readonly keyPairId: string;
}

type RecipientId =
  | { readonly kind: 'issuerAndSerialNumber'; readonly issuer: BerNode; readonly serial: Uint8Array }
  | { readonly kind: 'subjectKeyIdentifier'; readonly keyId: Uint8Array }
  | { readonly kind: 'unsupported'; readonly description: string };

type KeyTransport =
  | { readonly kind: 'pkcs1v15' }
  | { readonly kind: 'oaep'; readonly hash: string; readonly label: Uint8Array }
  | { readonly kind: 'unsupported'; readonly description: string };

interface Recipient {
  readonly id: RecipientId;
  readonly transport: KeyTransport;
  readonly encryptedKey: Uint8Array;
}

interface EnvelopedData {
  readonly recipients: readonly Recipient[];
  readonly contentCipherOid: string;
  readonly iv: Uint8Array | null;
  readonly encryptedContent: Uint8Array | null;
}

/** What we know about one of our certificates, for matching RecipientIdentifiers. */
export interface HeldKeyPair {
  readonly id: string;
  readonly issuer: BerNode;
  readonly serial: Uint8Array;
  readonly subjectKeyIds: readonly Uint8Array[];
  readonly privateKey: KeyObject;
}

/**
 * Reads our own key pairs. A failure here is a bug or damaged storage, not a problem with
 * the uploaded file, so it throws a plain Error naming the key pair.
 */
export function loadKeyPairs(keyPairs: readonly RecipientKeyPair[]): HeldKeyPair[] {
  return keyPairs.map((pair) => {
    try {
      const der = new Uint8Array(new X509Certificate(pair.certificatePem).raw);
      const cert = parseBer(der);
      const tbs = expectUniversal(child(cert, 0, 'tbsCertificate'), UniversalTag.sequence, 'tbsCertificate');
      let i = isContext(child(tbs, 0, 'serialNumber'), 0) ? 1 : 0; // [0] EXPLICIT version
      const serial = integerMagnitude(child(tbs, i++, 'serialNumber'), 'serialNumber');
      i++; // signature AlgorithmIdentifier
      const issuer = expectUniversal(child(tbs, i++, 'issuer'), UniversalTag.sequence, 'issuer');
      i += 2; // validity, subject
      const spki = expectUniversal(
        child(tbs, i++, 'subjectPublicKeyInfo'),
        UniversalTag.sequence,
        'subjectPublicKeyInfo',
      );
      const privateKey = createPrivateKey(pair.privateKeyPem);
      if (privateKey.asymmetricKeyType !== 'rsa') throw new Error('the private key is not an RSA key');
      return { id: pair.id, issuer, serial, subjectKeyIds: subjectKeyIds(tbs, spki), privateKey };
    } catch (error) {
      throw new Error(`key pair ${pair.id} cannot be used to open a token: ${describe(error)}`, { cause: error });
    }
  });
}

/**
 * The certificate's subjectKeyIdentifier extension, plus the RFC 5280 §4.2.1.2 method-1
 * value (SHA-1 of the public key bits) for certificates made without the extension.
 */
function subjectKeyIds(tbs: BerNode, spki: BerNode): Uint8Array[] {
  const ids: Uint8Array[] = [];
  const extensions = tbs.children.find((n) => isContext(n, 3))?.children[0];
  for (const ext of extensions?.children ?? []) {
    const oidNode = ext.children[0];
    const value = ext.children[ext.children.length - 1];
    if (oidNode === undefined || value === undefined) continue;
    if (readOid(oidNode, 'extnID') !== OID.subjectKeyIdentifier) continue;
    const inner = parseBer(octetStringValue(value));
    if (isUniversal(inner, UniversalTag.octetString)) ids.push(octetStringValue(inner));
  }
  const bits = spki.children[1];
  if (bits !== undefined && isUniversal(bits, UniversalTag.bitString) && bits.content.length > 1) {
    ids.push(createHash('sha1').update(bits.content.subarray(1)).digest());
  }
  return ids;
}

/**
 * Decrypts `der` (a ContentInfo whose content type is id-envelopedData) for one of `held`.
 * Throws TokenWrongKeyError when no recipient is one of ours, TokenCorruptError when the
 * structure or the decryption fails. Callers map anything else to TokenCorruptError.
 */
export function openEnvelope(
  der: Uint8Array,
  held: readonly HeldKeyPair[],
  options: OpenEnvelopeOptions = {},
): OpenedEnvelope {
  let envelope: EnvelopedData;
  try {
    envelope = parseEnvelopedData(der);
  } catch (error) {
    if (error instanceof BerError) throw new TokenCorruptError(`malformed EnvelopedData: ${error.message}`);
    throw error;
  }

  const matches: Array<{ recipient: Recipient; pair: HeldKeyPair }> = [];
  for (const recipient of envelope.recipients) {
    for (const pair of held) {
      if (recipientNames(recipient.id, pair)) matches.push({ recipient, pair });
    }
  }
  if (matches.length === 0) throw new TokenWrongKeyError(envelope.recipients.map((r) => describeRecipient(r.id)));

  const cipher =
    options.allowDesCbc === true && envelope.contentCipherOid === DES_CBC_OID
      ? DES_CBC
      : CONTENT_CIPHERS[envelope.contentCipherOid];
  if (cipher === undefined) {
    throw new TokenCorruptError(`unsupported content encryption algorithm ${envelope.contentCipherOid}`);
  }
  const { iv, encryptedContent } = envelope;
  if (iv === null || iv.length !== cipher.blockLength) {
    throw new TokenCorruptError(`${cipher.name} needs a ${cipher.blockLength}-byte IV`);
  }
  if (encryptedContent === null) throw new TokenCorruptError('the encrypted content is missing (detached)');
  if (encryptedContent.length === 0 || encryptedContent.length % cipher.blockLength !== 0) {
    throw new TokenCorruptError(
      `encrypted content length ${encryptedContent.length} is not a multiple of the block size`,
    );
  }

  let lastFailure = 'content decryption failed';
  for (const { recipient, pair } of matches) {
    if (recipient.transport.kind === 'unsupported') {
      lastFailure = `unsupported key transport ${recipient.transport.description}`;
      continue;
    }
    const key = unwrapContentKey(recipient, recipient.transport, pair.privateKey, cipher.keyLength);
    try {
      const cipherKey = cipher === DES_CBC ? Buffer.concat([key, key, key]) : key;
      const decipher = createDecipheriv(cipher.name, cipherKey, iv);
      const content = Buffer.concat([decipher.update(encryptedContent), decipher.final()]);
      return { content, keyPairId: pair.id };
    } catch {
      // Bad padding after CBC decryption: wrong key (see implicit rejection) or damaged data.
      lastFailure = 'content decryption failed (damaged ciphertext or key)';
    }
  }
  throw new TokenCorruptError(lastFailure);
}

function parseEnvelopedData(der: Uint8Array): EnvelopedData {
  const contentInfo = expectUniversal(parseBer(der), UniversalTag.sequence, 'ContentInfo');
  const explicit = child(contentInfo, 1, 'ContentInfo content');
  if (!isContext(explicit, 0) || !explicit.constructed) throw new BerError('ContentInfo [0] content expected');
  const env = expectUniversal(child(explicit, 0, 'EnvelopedData'), UniversalTag.sequence, 'EnvelopedData');

  let i = 0;
  if (!isUniversal(child(env, i++, 'version'), UniversalTag.integer))
    throw new BerError('EnvelopedData version expected');
  if (isContext(child(env, i, 'recipientInfos'), 0)) i++; // originatorInfo [0] IMPLICIT, RFC 5652 §6.1
  const recipientInfos = expectUniversal(child(env, i++, 'recipientInfos'), UniversalTag.set, 'recipientInfos');
  const eci = expectUniversal(child(env, i++, 'encryptedContentInfo'), UniversalTag.sequence, 'encryptedContentInfo');

  readOid(child(eci, 0, 'contentType'), 'contentType');
  const algorithm = expectUniversal(
    child(eci, 1, 'contentEncryptionAlgorithm'),
    UniversalTag.sequence,
    'contentEncryptionAlgorithm',
  );
  const contentCipherOid = readOid(child(algorithm, 0, 'algorithm'), 'content encryption algorithm');
  const ivNode = algorithm.children[1];
  const iv = ivNode !== undefined && isUniversal(ivNode, UniversalTag.octetString) ? octetStringValue(ivNode) : null;
  // encryptedContent [0] IMPLICIT OCTET STRING: primitive in DER, constructed when streamed.
  const contentNode = eci.children[2];
  const encryptedContent =
    contentNode !== undefined && isContext(contentNode, 0) ? octetStringValue(contentNode) : null;

  if (recipientInfos.children.length === 0) throw new BerError('no recipientInfos');
  return {
    recipients: recipientInfos.children.map(parseRecipientInfo),
    contentCipherOid,
    iv,
    encryptedContent,
  };
}

const OTHER_RECIPIENT_KINDS: Readonly<Record<number, string>> = {
  1: 'KeyAgreeRecipientInfo',
  2: 'KEKRecipientInfo',
  3: 'PasswordRecipientInfo',
  4: 'OtherRecipientInfo',
};

function parseRecipientInfo(node: BerNode): Recipient {
  if (!isUniversal(node, UniversalTag.sequence)) {
    // Only key transport recipients can be ours: we hand out RSA certificates.
    const kind = node.tagClass === TagClass.context ? OTHER_RECIPIENT_KINDS[node.tagNumber] : undefined;
    const description = kind ?? 'unknown RecipientInfo';
    return {
      id: { kind: 'unsupported', description },
      transport: { kind: 'unsupported', description },
      encryptedKey: new Uint8Array(0),
    };
  }
  const ridNode = child(node, 1, 'rid');
  let id: RecipientId;
  if (isUniversal(ridNode, UniversalTag.sequence)) {
    const issuer = expectUniversal(child(ridNode, 0, 'issuer'), UniversalTag.sequence, 'issuer');
    const serial = integerMagnitude(child(ridNode, 1, 'serialNumber'), 'serialNumber');
    id = { kind: 'issuerAndSerialNumber', issuer, serial };
  } else if (isContext(ridNode, 0)) {
    id = { kind: 'subjectKeyIdentifier', keyId: octetStringValue(ridNode) };
  } else {
    throw new BerError('unknown RecipientIdentifier');
  }
  const algorithm = expectUniversal(
    child(node, 2, 'keyEncryptionAlgorithm'),
    UniversalTag.sequence,
    'keyEncryptionAlgorithm',
  );
  const encryptedKeyNode = child(node, 3, 'encryptedKey');
  if (!isUniversal(encryptedKeyNode, UniversalTag.octetString)) throw new BerError('encryptedKey expected');
  return { id, transport: parseKeyTransport(algorithm), encryptedKey: octetStringValue(encryptedKeyNode) };
}

function parseKeyTransport(algorithm: BerNode): KeyTransport {
  const oid = readOid(child(algorithm, 0, 'algorithm'), 'key encryption algorithm');
  if (oid === OID.rsaEncryption) return { kind: 'pkcs1v15' };
  if (oid !== OID.rsaesOaep) return { kind: 'unsupported', description: oid };

  // RSAES-OAEP-params (RFC 8017 appendix A.2.1 / RFC 3560 §3): every field defaults to SHA-1.
  let hash = 'sha1';
  let mgfHash = 'sha1';
  let label: Uint8Array = new Uint8Array(0);
  const params = algorithm.children[1];
  if (params !== undefined && isUniversal(params, UniversalTag.sequence)) {
    for (const field of params.children) {
      const inner = child(field, 0, 'OAEP parameter');
      if (isContext(field, 0)) {
        hash = hashName(readOid(child(inner, 0, 'hashAlgorithm'), 'hashAlgorithm'));
      } else if (isContext(field, 1)) {
        if (readOid(child(inner, 0, 'maskGenAlgorithm'), 'maskGenAlgorithm') !== OID.mgf1) {
          return { kind: 'unsupported', description: 'RSA-OAEP with a mask generation function other than MGF1' };
        }
        mgfHash = hashName(readOid(child(child(inner, 1, 'MGF1 hash'), 0, 'MGF1 hash'), 'MGF1 hash'));
      } else if (isContext(field, 2)) {
        if (readOid(child(inner, 0, 'pSourceAlgorithm'), 'pSourceAlgorithm') !== OID.pSpecified) {
          return { kind: 'unsupported', description: 'RSA-OAEP with an unknown label source' };
        }
        const labelNode = inner.children[1];
        if (labelNode !== undefined && isUniversal(labelNode, UniversalTag.octetString))
          label = octetStringValue(labelNode);
      }
    }
  }
  // node:crypto uses the OAEP hash for MGF1 too, which is what OpenSSL's `rsa_oaep_md` writes.
  if (hash !== mgfHash) return { kind: 'unsupported', description: `RSA-OAEP ${hash} with MGF1-${mgfHash}` };
  return { kind: 'oaep', hash, label };
}

function hashName(oid: string): string {
  const name = HASHES[oid];
  if (name === undefined) throw new BerError(`unknown hash algorithm ${oid}`);
  return name;
}

function recipientNames(id: RecipientId, pair: HeldKeyPair): boolean {
  switch (id.kind) {
    case 'issuerAndSerialNumber':
      return bytesEqual(id.serial, pair.serial) && namesEqual(id.issuer, pair.issuer);
    case 'subjectKeyIdentifier':
      return pair.subjectKeyIds.some((keyId) => bytesEqual(keyId, id.keyId));
    case 'unsupported':
      return false;
  }
}

/**
 * Issuer names normally arrive byte-identical to our certificate's, but an encoder may
 * re-encode a Name (e.g. PrintableString → UTF8String); then compare attribute by
 * attribute, case- and space-insensitively, as RFC 5280 §7.1 name matching does.
 */
function namesEqual(a: BerNode, b: BerNode): boolean {
  if (structureKey(a) === structureKey(b)) return true;
  try {
    return canonicalName(a) === canonicalName(b);
  } catch {
    return false;
  }
}

function canonicalName(name: BerNode): string {
  return name.children
    .map((rdn) =>
      rdn.children
        .map((atv) => {
          const oid = readOid(child(atv, 0, 'attribute type'), 'attribute type');
          const value = decodeString(child(atv, 1, 'attribute value'));
          return `${oid}=${value.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase()}`;
        })
        .sort()
        .join('+'),
    )
    .join(',');
}

const NAME_ATTRIBUTES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

function describeRecipient(id: RecipientId): TokenRecipient {
  switch (id.kind) {
    case 'issuerAndSerialNumber':
      return {
        kind: 'issuerAndSerialNumber',
        issuer: formatName(id.issuer),
        serialNumber: Buffer.from(id.serial).toString('hex'),
      };
    case 'subjectKeyIdentifier':
      return { kind: 'subjectKeyIdentifier', subjectKeyIdentifier: Buffer.from(id.keyId).toString('hex') };
    case 'unsupported':
      return { kind: 'unsupported', description: id.description };
  }
}

function formatName(name: BerNode): string {
  try {
    return name.children
      .map((rdn) =>
        rdn.children
          .map((atv) => {
            const oid = readOid(child(atv, 0, 'attribute type'), 'attribute type');
            return `${NAME_ATTRIBUTES[oid] ?? oid}=${decodeString(child(atv, 1, 'attribute value'))}`;
          })
          .join('+'),
      )
      .join(', ');
  } catch {
    return '(unreadable name)';
  }
}

/**
 * Returns the content-encryption key, or random bytes when unwrapping fails (implicit
 * rejection, RFC 3218 §2.3.2): the caller then fails on the content's CBC padding, the same
 * way it fails for a damaged ciphertext, so no padding oracle is exposed.
 */
function unwrapContentKey(
  recipient: Recipient,
  transport: Exclude<KeyTransport, { kind: 'unsupported' }>,
  privateKey: KeyObject,
  keyLength: number,
): Buffer {
  const substitute = randomBytes(keyLength);
  try {
    if (transport.kind === 'oaep') {
      const key = privateDecrypt(
        {
          key: privateKey,
          padding: constants.RSA_PKCS1_OAEP_PADDING,
          oaepHash: transport.hash,
          ...(transport.label.length > 0 ? { oaepLabel: Buffer.from(transport.label) } : {}),
        },
        recipient.encryptedKey,
      );
      return key.length === keyLength ? key : substitute;
    }
    const modulusBytes = Math.ceil((privateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    if (recipient.encryptedKey.length > modulusBytes) return substitute;
    // I2OSP output is exactly k octets (RFC 8017 §4.1), but some encoders drop leading zeros.
    const block = Buffer.alloc(modulusBytes);
    block.set(recipient.encryptedKey, modulusBytes - recipient.encryptedKey.length);
    const em = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, block);
    return decodePkcs1v15(em, keyLength) ?? substitute;
  } catch {
    return substitute;
  }
}

/**
 * EME-PKCS1-v1_5 decoding (RFC 8017 §7.2.2): EM = 0x00 ‖ 0x02 ‖ PS (≥ 8 non-zero octets) ‖
 * 0x00 ‖ M, also requiring M to be exactly the expected key length. Scans the whole block
 * without early exit; JavaScript gives no constant-time guarantee, which is why the caller
 * also applies implicit rejection.
 */
export function decodePkcs1v15(em: Uint8Array, expectedLength: number): Buffer | null {
  let bad = (em[0] ?? 1) | ((em[1] ?? 0) ^ 2);
  let separator = 0;
  for (let i = 2; i < em.length; i++) {
    const isZero = (((em[i] as number) - 1) >>> 31) & 1; // 1 when the octet is 0x00
    const first = isZero & (separator === 0 ? 1 : 0);
    separator |= first * i;
  }
  bad |= separator === 0 ? 1 : 0;
  bad |= separator < 10 ? 1 : 0; // 2 header octets + at least 8 octets of PS
  bad |= em.length - separator - 1 !== expectedLength ? 1 : 0;
  return bad === 0 ? Buffer.from(em.subarray(separator + 1)) : null;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/** Tags and primitive contents, so BER length-form differences do not matter. */
function structureKey(node: BerNode): string {
  if (!node.constructed) return `${node.tagClass}.${node.tagNumber}:${Buffer.from(node.content).toString('hex')}`;
  return `${node.tagClass}.${node.tagNumber}(${node.children.map(structureKey).join(',')})`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
