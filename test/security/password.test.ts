import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, passwordNeedsRehash, passwordProblems, verifyPassword } from '../../src/security/password.js';

// Made by Python's hashlib.scrypt(b"correct horse battery staple", salt=bytes(range(16)),
// n=2**13, r=8, p=10, dklen=32): an independent implementation of the same encoding.
const PYTHON_HASH = 'scrypt$8192$8$10$AAECAwQFBgcICQoLDA0ODw==$38oWmPC6n0dnWNXh5dHtNXu4bNkqhenh9xtoeULmCOI=';
// The same password at n=2**15, r=8, p=1, as Orchard stored it before: it needs 32 MiB, more
// than Node's default limit.
const PYTHON_HASH_BEFORE = 'scrypt$32768$8$1$AAECAwQFBgcICQoLDA0ODw==$eo40JB24mNWRdcaWU4xBdGepdf/laQaEJfFhiNMVnFg=';

test('a hashed password verifies, and a wrong one does not', async () => {
  const encoded = await hashPassword('correct horse battery staple');
  assert.match(encoded, /^scrypt\$8192\$8\$10\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
  assert.equal(await verifyPassword('correct horse battery staple', encoded), true);
  assert.equal(await verifyPassword('correct horse battery stapl', encoded), false);
  assert.equal(await verifyPassword('', encoded), false);
});

test('a hash made by another scrypt implementation verifies', async () => {
  assert.equal(await verifyPassword('correct horse battery staple', PYTHON_HASH), true);
  assert.equal(await verifyPassword('Correct horse battery staple', PYTHON_HASH), false);
  assert.equal(passwordNeedsRehash(PYTHON_HASH), false);
});

test('a hash stored with the earlier N=2^15, p=1 still verifies, and is rehashed at the next sign-in', async () => {
  assert.equal(await verifyPassword('correct horse battery staple', PYTHON_HASH_BEFORE), true);
  assert.equal(await verifyPassword('correct horse battery stapl', PYTHON_HASH_BEFORE), false);
  assert.equal(passwordNeedsRehash(PYTHON_HASH_BEFORE), true);
});

test('two hashes of one password differ (random salt)', async () => {
  const [a, b] = await Promise.all([hashPassword('same password!'), hashPassword('same password!')]);
  assert.notEqual(a, b);
});

test('a password typed decomposed (macOS) or composed verifies against the same hash', async () => {
  const composed = 'caf\u00e9 au lait 2024';
  const decomposed = 'cafe\u0301 au lait 2024';
  assert.equal(await verifyPassword(decomposed, await hashPassword(composed)), true);
});

test('malformed or hostile encodings verify as false instead of throwing', async () => {
  const good = await hashPassword('correct horse battery staple');
  const parts = good.split('$');
  const withPart = (i: number, v: string): string => parts.map((p, j) => (j === i ? v : p)).join('$');
  const bad = [
    '',
    'not a hash',
    '$2b$12$abcdefghijklmnopqrstuuN7sXp7ZNO6eG9c7mU1E2vZ8cO9nYw1G', // bcrypt
    good.replace(/^scrypt/, 'argon2id'),
    `${good}$extra`,
    withPart(1, '0'),
    withPart(1, '1000'), // not a power of two
    withPart(1, '1048576'), // 2^20 × r=8: 1 GiB, over the cost cap
    withPart(1, '-32768'),
    withPart(2, '0'),
    withPart(2, '8.5'),
    withPart(3, ''),
    withPart(4, 'not*base64'),
    withPart(4, ''),
    withPart(5, 'AAAA'), // a 3-byte hash is too short to mean anything
  ];
  for (const encoded of bad) {
    assert.equal(await verifyPassword('correct horse battery staple', encoded), false, encoded);
  }
});

test('hashes with other parameters still verify and are flagged for rehash', async () => {
  const { scrypt } = await import('node:crypto');
  const salt = Buffer.alloc(16, 1);
  const hash = await new Promise<Buffer>((resolve, reject) =>
    scrypt('a long enough password', salt, 32, { N: 1024, r: 8, p: 1 }, (e, k) => (e ? reject(e) : resolve(k))),
  );
  const old = `scrypt$1024$8$1$${salt.toString('base64')}$${hash.toString('base64')}`;
  assert.equal(await verifyPassword('a long enough password', old), true);
  assert.equal(passwordNeedsRehash(old), true);
  assert.equal(passwordNeedsRehash('garbage'), true);
  assert.equal(passwordNeedsRehash(await hashPassword('a long enough password')), false);
});

test('passwordProblems asks for 12 to 1024 characters, counted as the user sees them', () => {
  assert.match(passwordProblems('short') ?? '', /at least 12 characters/);
  assert.match(passwordProblems('elevenchars') ?? '', /at least 12 characters/);
  assert.equal(passwordProblems('twelve chars'), null);
  assert.equal(passwordProblems('x'.repeat(1024)), null);
  assert.match(passwordProblems('x'.repeat(1025)) ?? '', /at most 1024 characters/);
  // 11 emoji are 22 UTF-16 units but 11 characters.
  assert.match(passwordProblems('🍏'.repeat(11)) ?? '', /at least 12/);
  assert.equal(passwordProblems('🍏'.repeat(12)), null);
});
