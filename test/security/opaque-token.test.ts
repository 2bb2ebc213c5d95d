import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  generateApiKey,
  generateSessionToken,
  hashOpaqueToken,
  isGeneratedApiKey,
  safeEqualHex,
} from '../../src/security/opaque-token.js';

test('an API key is orch_ plus 40 base62 characters, shown by its first 12 characters', () => {
  const { key, prefix } = generateApiKey();
  assert.match(key, /^orch_[0-9A-Za-z]{40}$/);
  assert.equal(prefix, key.slice(0, 12));
  assert.match(prefix, /^orch_[0-9A-Za-z]{7}$/);
  assert.equal(isGeneratedApiKey(key), true);
  assert.equal(isGeneratedApiKey(`${key}x`), false);
  assert.equal(isGeneratedApiKey(key.replace(/^orch_/, 'orch-')), false);
});

test('API keys are unique and use the whole base62 alphabet roughly evenly', () => {
  const keys = Array.from({ length: 2000 }, () => generateApiKey().key);
  assert.equal(new Set(keys).size, keys.length);
  const counts = new Map<string, number>();
  for (const k of keys) for (const c of k.slice(5)) counts.set(c, (counts.get(c) ?? 0) + 1);
  assert.equal(counts.size, 62);
  // 80,000 draws over 62 symbols: expect ~1290 each; modulo bias on raw bytes would push
  // the first 8 symbols ~25% higher than the rest.
  const expected = (2000 * 40) / 62;
  for (const [c, n] of counts) assert.ok(Math.abs(n - expected) < expected * 0.15, `${c}: ${n}`);
});

test('a session token is 32 random bytes in base64url', () => {
  const token = generateSessionToken();
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(token, 'base64url').length, 32);
  assert.notEqual(generateSessionToken(), token);
});

test('hashOpaqueToken is deterministic SHA-256 hex of the token', () => {
  const { key } = generateApiKey();
  assert.equal(hashOpaqueToken(key), hashOpaqueToken(key));
  assert.notEqual(hashOpaqueToken(key), hashOpaqueToken(generateApiKey().key));
  // Known answer: SHA-256("abc") from FIPS 180-2, appendix B.1.
  assert.equal(hashOpaqueToken('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(hashOpaqueToken(key), createHash('sha256').update(key).digest('hex'));
});

test('safeEqualHex compares hex digests, and refuses non-hex instead of decoding it to nothing', () => {
  const h = hashOpaqueToken('token');
  assert.equal(safeEqualHex(h, hashOpaqueToken('token')), true);
  assert.equal(safeEqualHex(h, h.toUpperCase()), true);
  assert.equal(safeEqualHex(h, hashOpaqueToken('other')), false);
  assert.equal(safeEqualHex(h, h.slice(0, -2)), false);
  assert.equal(safeEqualHex('zz', 'yy'), false); // both decode to zero bytes
  assert.equal(safeEqualHex('', ''), false);
  assert.equal(safeEqualHex('abc', 'abc'), false); // odd length
});
