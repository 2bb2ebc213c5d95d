// Bearer secrets (API keys, session tokens) that the server generates and stores only hashed.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const API_KEY_PREFIX = 'orch_';
const API_KEY_RANDOM_CHARS = 40; // 40 × log2(62) ≈ 238 bits
export const API_KEY_DISPLAY_PREFIX_LENGTH = 12;
const API_KEY_FORMAT = /^orch_[0-9A-Za-z]{40}$/;

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length)) {
      // 248 = 4 × 62: bytes above it are dropped so `% 62` favours no character.
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

/** `prefix` is safe to store in clear and show in lists to tell keys apart. */
export function generateApiKey(): { key: string; prefix: string } {
  const key = API_KEY_PREFIX + randomBase62(API_KEY_RANDOM_CHARS);
  return { key, prefix: key.slice(0, API_KEY_DISPLAY_PREFIX_LENGTH) };
}

/** For telling a generated key from a pasted typo early; bootstrap keys need not match. */
export function isGeneratedApiKey(value: string): boolean {
  return API_KEY_FORMAT.test(value);
}

export function generateSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Plain SHA-256 is right here, unlike for passwords: these tokens carry 200+ bits of
 * randomness, so there is nothing to brute-force, and a fast deterministic hash lets the
 * database find the row by an index on the hash. (ORCHARD_BOOTSTRAP_API_KEY is operator-
 * chosen but must be ≥ 32 characters, which keeps it out of guessing range too.)
 */
export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/**
 * Constant-time for equal lengths; lengths are not secret (a SHA-256 hex is always 64).
 * Empty, odd-length or non-hex input is never equal to anything.
 */
export function safeEqualHex(a: string, b: string): boolean {
  // Validate first: Buffer.from(x, 'hex') silently drops bad characters, so 'zz' and ''
  // would otherwise compare equal.
  if (!HEX.test(a) || !HEX.test(b) || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}
