// Password hashing for UI accounts. scrypt because node:crypto ships it (no native add-on);
// the parameters live in the encoded hash so they can be raised without breaking old hashes.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// OWASP's scrypt setting for 8 MiB (N=2^13, r=8, p=10): as strong as its N=2^17 one, and
// the p lanes run one after another in the same 8 MiB. Orchard runs on small boxes where four
// concurrent sign-ins at the old N=2^15 held 128 MiB of the libuv pool's memory at once.
const N = 2 ** 13;
const R = 8;
const P = 10;
const SALT_BYTES = 16;
const HASH_BYTES = 32;

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 1024;

// Encoded hashes come from the database; cap their cost so a doctored row cannot make one
// login attempt allocate gigabytes.
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;

// Async scrypt runs on the libuv pool, so a login does not stall every other request.
function scryptAsync(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** What OpenSSL allocates for one hash: the V table (128·r·(N+2) bytes) plus p blocks of 128·r. */
function memoryFor(n: number, r: number, p: number): number {
  return 128 * r * (n + 2 + p);
}

function options(n: number, r: number, p: number): ScryptOptions {
  // Node's default maxmem (32 MiB) refuses hashes made at N=2^15, r=8, which older Orchards stored.
  return { N: n, r, p, maxmem: 2 * memoryFor(n, r, p) };
}

// NFC so the same password typed on macOS (often decomposed) and elsewhere hashes the same.
function normalize(password: string): string {
  return password.normalize('NFC');
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(normalize(password), salt, HASH_BYTES, options(N, R, P));
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

interface Decoded {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

const INTEGER = /^[1-9][0-9]{0,9}$/;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decode(encoded: string): Decoded | null {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  if (!INTEGER.test(n) || !INTEGER.test(r) || !INTEGER.test(p)) return null;
  if (!B64.test(salt) || !B64.test(hash)) return null;
  const d: Decoded = {
    n: Number(n),
    r: Number(r),
    p: Number(p),
    salt: Buffer.from(salt, 'base64'),
    hash: Buffer.from(hash, 'base64'),
  };
  const powerOfTwo = d.n > 1 && (d.n & (d.n - 1)) === 0;
  if (!powerOfTwo || memoryFor(d.n, d.r, d.p) > MAX_MEMORY_BYTES) return null;
  if (d.salt.length < 8 || d.hash.length < 16 || d.hash.length > 64) return null;
  return d;
}

/** False for a wrong password and for a hash this module cannot read; never throws on input. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const d = decode(encoded);
  if (d === null) return false;
  const actual = await scryptAsync(normalize(password), d.salt, d.hash.length, options(d.n, d.r, d.p));
  return timingSafeEqual(actual, d.hash);
}

/** True when the hash was made with other parameters than today's: rehash after a good login. */
export function passwordNeedsRehash(encoded: string): boolean {
  const d = decode(encoded);
  return d === null || d.n !== N || d.r !== R || d.p !== P || d.hash.length !== HASH_BYTES;
}

/** A message to show the user, or null when the password is acceptable. */
export function passwordProblems(password: string): string | null {
  // Count code points, not UTF-16 units, so an emoji is one character as the user sees it.
  const length = [...normalize(password)].length;
  if (length < PASSWORD_MIN_LENGTH) {
    return `Password must be at least ${PASSWORD_MIN_LENGTH} characters long.`;
  }
  if (length > PASSWORD_MAX_LENGTH) {
    return `Password must be at most ${PASSWORD_MAX_LENGTH} characters long.`;
  }
  return null;
}
