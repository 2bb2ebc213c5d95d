// Envelope for secrets at rest (ABM private keys, OAuth secrets, push tokens): AES-256-GCM
// under a master key, with a keyring so the master key can be rotated without downtime.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}

export interface Keyring {
  readonly current: MasterKey;
  readonly previous: readonly MasterKey[];
}

/** `v1.<keyId>.<base64url iv>.<base64url ciphertext+tag>` */
export type Sealed = string;

export const MASTER_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';
const KEY_ID = /^[0-9a-f]{16}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export class SecretKeyUnknownError extends Error {
  readonly code = 'SECRET_KEY_UNKNOWN';
  constructor(readonly keyId: string) {
    super(
      `secret was sealed with master key ${keyId}, which is not in the keyring; ` +
        'supply that previous master key via ORCHARD_MASTER_KEY_PREVIOUS ' +
        '(in development: as a later line of master.key)',
    );
    this.name = 'SecretKeyUnknownError';
  }
}

export class SecretCorruptError extends Error {
  readonly code = 'SECRET_CORRUPT';
  constructor(detail: string) {
    super(`sealed secret cannot be opened: ${detail}`);
    this.name = 'SecretCorruptError';
  }
}

/**
 * The id is a hash of a domain-separated key so it can be logged and stored next to every
 * ciphertext; 64 bits are plenty to tell a handful of keys apart and useless for guessing.
 */
export function masterKeyId(key: Buffer): string {
  return createHash('sha256').update('orchard-master-key-id:').update(key).digest('hex').slice(0, 16);
}

export function toMasterKey(key: Buffer): MasterKey {
  if (key.length !== MASTER_KEY_BYTES) {
    throw new RangeError(`a master key must be ${MASTER_KEY_BYTES} bytes (got ${key.length})`);
  }
  // Copy so a caller zeroing or reusing its buffer cannot change our key underneath us.
  const copy = Buffer.from(key);
  return { id: masterKeyId(copy), key: copy };
}

interface Parsed {
  keyId: string;
  iv: Buffer;
  body: Buffer;
}

function parse(sealed: Sealed): Parsed {
  const parts = sealed.split('.');
  if (parts.length !== 4) throw new SecretCorruptError('not in v1.<keyId>.<iv>.<data> format');
  const [version, keyId, iv, body] = parts as [string, string, string, string];
  if (version !== VERSION) throw new SecretCorruptError('unknown format version');
  if (!KEY_ID.test(keyId)) throw new SecretCorruptError('malformed key id');
  if (!BASE64URL.test(iv) || !BASE64URL.test(body)) {
    throw new SecretCorruptError('iv or data is not base64url');
  }
  const ivBytes = Buffer.from(iv, 'base64url');
  const bodyBytes = Buffer.from(body, 'base64url');
  if (ivBytes.length !== IV_BYTES) throw new SecretCorruptError('iv has the wrong length');
  if (bodyBytes.length < TAG_BYTES) throw new SecretCorruptError('data is too short');
  return { keyId, iv: ivBytes, body: bodyBytes };
}

// The header goes into the GCM associated data too, so the version and key id in the string
// cannot be swapped for others without the tag failing.
function associatedData(keyId: string, aad: string): Buffer {
  return Buffer.from(`${VERSION}.${keyId}.${aad}`, 'utf8');
}

export class SecretBox {
  readonly #current: MasterKey;
  readonly #byId: ReadonlyMap<string, MasterKey>;

  constructor(keyring: Keyring) {
    const all = [keyring.current, ...keyring.previous].map((k) => {
      // A hand-built MasterKey with a stale id would seal data no keyring could find again.
      const checked = toMasterKey(k.key);
      if (checked.id !== k.id) throw new RangeError(`master key id ${k.id} does not match its key`);
      return checked;
    });
    const [current] = all;
    if (current === undefined) throw new RangeError('keyring has no current key');
    this.#current = current;
    const byId = new Map<string, MasterKey>();
    for (const k of all) if (!byId.has(k.id)) byId.set(k.id, k);
    this.#byId = byId;
  }

  get currentKeyId(): string {
    return this.#current.id;
  }

  seal(plaintext: Buffer | string, aad: string): Sealed {
    const { id, key } = this.#current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(id, aad));
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const body = Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}.${id}.${iv.toString('base64url')}.${body.toString('base64url')}`;
  }

  open(sealed: Sealed, aad: string): Buffer {
    const { keyId, iv, body } = parse(sealed);
    const master = this.#byId.get(keyId);
    if (master === undefined) throw new SecretKeyUnknownError(keyId);
    const decipher = createDecipheriv('aes-256-gcm', master.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(keyId, aad));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new SecretCorruptError(
        `authentication failed for ${JSON.stringify(aad)} (tampered, or stored under another aad)`,
      );
    }
  }

  keyIdOf(sealed: Sealed): string {
    return parse(sealed).keyId;
  }

  needsRotation(sealed: Sealed): boolean {
    return this.keyIdOf(sealed) !== this.#current.id;
  }

  reseal(sealed: Sealed, aad: string): Sealed {
    const plaintext = this.open(sealed, aad);
    try {
      return this.seal(plaintext, aad);
    } finally {
      plaintext.fill(0);
    }
  }
}
