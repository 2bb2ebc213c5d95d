import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  SecretBox,
  SecretCorruptError,
  SecretKeyUnknownError,
  masterKeyId,
  toMasterKey,
} from '../../src/security/secret-box.js';

// Made with `openssl rand -base64 32`; ids computed independently with
// (printf 'orchard-master-key-id:'; printf %s KEY | openssl base64 -d -A) | openssl dgst -sha256
const KEY_A = 'vPAINKtgT3oyM6tdZYDk1soeWOlH8Pca4OWQa4Y3k1I=';
const KEY_A_ID = '777489826996fc02';
const KEY_B = 'lGfDhRiKRF6t1Jj9uxSebt9wrFKlqijnjOjuD1j9gRA=';
const KEY_B_ID = '90b1b70fc5e95539';

// Sealed by Python's `cryptography` AESGCM (key A, iv 00..0b, aad "v1.<id>.<aad>").
const PYTHON_SEALED =
  'v1.777489826996fc02.AAECAwQFBgcICQoL.KmdSXH0JeQcjyJneyImyS3fmAi9n2ddPKIpDIxhyF0c0kVuSDArP2Kym8QnkKIL71CHjdT3Om0ltsA';

const keyA = toMasterKey(Buffer.from(KEY_A, 'base64'));
const keyB = toMasterKey(Buffer.from(KEY_B, 'base64'));
const AAD = 'abm_token:42:private_key';

function flipCharAt(s: string, index: number): string {
  const c = s[index] === 'A' ? 'B' : 'A';
  return s.slice(0, index) + c + s.slice(index + 1);
}

test('the key id is the first 16 hex of SHA-256 over the domain prefix and the key', () => {
  assert.equal(masterKeyId(keyA.key), KEY_A_ID);
  assert.equal(keyA.id, KEY_A_ID);
  assert.equal(keyB.id, KEY_B_ID);
});

test('a sealed secret opens to the same bytes, and strings are sealed as UTF-8', () => {
  const box = new SecretBox({ current: keyA, previous: [] });
  const binary = randomBytes(1000);
  assert.deepEqual(box.open(box.seal(binary, AAD), AAD), binary);
  assert.equal(box.open(box.seal('pässwörd ✓', AAD), AAD).toString('utf8'), 'pässwörd ✓');
  assert.equal(box.open(box.seal('', AAD), AAD).length, 0);
});

test('the sealed format is v1.<keyId>.<12-byte iv>.<ciphertext+16-byte tag> in base64url', () => {
  const box = new SecretBox({ current: keyA, previous: [] });
  const sealed = box.seal('0123456789', AAD);
  const [version, keyId, iv, body, ...rest] = sealed.split('.');
  assert.equal(version, 'v1');
  assert.equal(keyId, KEY_A_ID);
  assert.equal(Buffer.from(iv ?? '', 'base64url').length, 12);
  assert.equal(Buffer.from(body ?? '', 'base64url').length, 10 + 16);
  assert.deepEqual(rest, []);
  assert.match(sealed, /^[A-Za-z0-9_.-]+$/);
});

test('a secret sealed by an independent AES-GCM implementation opens', () => {
  const box = new SecretBox({ current: keyA, previous: [] });
  assert.equal(box.open(PYTHON_SEALED, AAD).toString('utf8'), 'fixture plaintext from python cryptography');
});

test('the same plaintext sealed twice gives different ciphertexts', () => {
  const box = new SecretBox({ current: keyA, previous: [] });
  assert.notEqual(box.seal('same', AAD), box.seal('same', AAD));
});

test('a ciphertext copied to another row (other aad) is refused with SECRET_CORRUPT', () => {
  const box = new SecretBox({ current: keyA, previous: [] });
  const sealed = box.seal('private key', 'abm_token:1:private_key');
  assert.throws(
    () => box.open(sealed, 'abm_token:2:private_key'),
    (err: unknown) => err instanceof SecretCorruptError && err.code === 'SECRET_CORRUPT',
  );
});

test('tampering with iv, ciphertext, tag or header is refused with SECRET_CORRUPT', () => {
  const box = new SecretBox({ current: keyA, previous: [keyB] });
  const sealed = box.seal('private key material', AAD);
  const [v, id, iv, body] = sealed.split('.') as [string, string, string, string];
  const tampered = [
    [v, id, flipCharAt(iv, 0), body].join('.'),
    [v, id, iv, flipCharAt(body, 0)].join('.'),
    [v, id, iv, flipCharAt(body, body.length - 2)].join('.'), // inside the tag
    [v, id, iv, body.slice(0, -4)].join('.'),
    [v, KEY_B_ID, iv, body].join('.'), // relabelled as the other key in the ring
    [v, id, iv, `${body}AAAA`].join('.'),
  ];
  for (const t of tampered) {
    assert.throws(
      () => box.open(t, AAD),
      (err: unknown) => err instanceof SecretCorruptError,
      t,
    );
  }
});

test('malformed sealed strings are refused with SECRET_CORRUPT, not a crash', () => {
  const box = new SecretBox({ current: keyA, previous: [] });
  const good = box.seal('x', AAD);
  const bad = [
    '',
    'plaintext',
    good.replace(/^v1/, 'v2'),
    `${good}.extra`,
    good.replace(KEY_A_ID, 'not-a-key-id-000'),
    `v1.${KEY_A_ID}.short.${good.split('.')[3] ?? ''}`,
    `v1.${KEY_A_ID}.AAECAwQFBgcICQoL.AAAA`,
    `v1.${KEY_A_ID}.AAECAwQFBgcICQoL.not+base64url/`,
  ];
  for (const b of bad) {
    assert.throws(
      () => box.open(b, AAD),
      (err: unknown) => err instanceof SecretCorruptError && err.code === 'SECRET_CORRUPT',
      JSON.stringify(b),
    );
  }
  assert.throws(() => box.keyIdOf('garbage'), SecretCorruptError);
});

test('a secret sealed under the previous key opens, and reseal moves it to the current key', () => {
  const before = new SecretBox({ current: keyB, previous: [] });
  const sealed = before.seal('oauth secret', AAD);

  const after = new SecretBox({ current: keyA, previous: [keyB] });
  assert.equal(after.keyIdOf(sealed), KEY_B_ID);
  assert.equal(after.needsRotation(sealed), true);
  assert.equal(after.open(sealed, AAD).toString(), 'oauth secret');

  const resealed = after.reseal(sealed, AAD);
  assert.equal(after.keyIdOf(resealed), KEY_A_ID);
  assert.equal(after.needsRotation(resealed), false);
  assert.equal(new SecretBox({ current: keyA, previous: [] }).open(resealed, AAD).toString(), 'oauth secret');
});

test('reseal refuses a secret under the wrong aad instead of re-encrypting it', () => {
  const box = new SecretBox({ current: keyA, previous: [keyB] });
  const sealed = new SecretBox({ current: keyB, previous: [] }).seal('x', 'row:1');
  assert.throws(() => box.reseal(sealed, 'row:2'), SecretCorruptError);
});

test('a secret under a key not in the keyring gives SECRET_KEY_UNKNOWN naming the id and the fix, without key material', () => {
  const sealed = new SecretBox({ current: keyB, previous: [] }).seal('secret plaintext', AAD);
  const box = new SecretBox({ current: keyA, previous: [] });
  assert.throws(
    () => box.open(sealed, AAD),
    (err: unknown) => {
      assert.ok(err instanceof SecretKeyUnknownError);
      assert.equal(err.code, 'SECRET_KEY_UNKNOWN');
      assert.equal(err.keyId, KEY_B_ID);
      assert.ok(err.message.includes(KEY_B_ID));
      assert.ok(err.message.includes('ORCHARD_MASTER_KEY_PREVIOUS'));
      for (const k of [keyA.key, keyB.key]) {
        for (const enc of ['base64', 'base64url', 'hex'] as const) {
          assert.ok(!err.message.includes(k.toString(enc)));
        }
      }
      assert.ok(!err.message.includes('secret plaintext'));
      return true;
    },
  );
});

test('error messages for a failed open never contain the plaintext or the key', () => {
  const box = new SecretBox({ current: keyA, previous: [] });
  const sealed = box.seal('hunter2-plaintext', AAD);
  try {
    box.open(sealed, 'other');
    assert.fail('expected open to throw');
  } catch (err) {
    assert.ok(err instanceof SecretCorruptError);
    assert.ok(!err.message.includes('hunter2-plaintext'));
    assert.ok(!err.message.includes(KEY_A));
    assert.ok(!err.message.includes(keyA.key.toString('hex')));
  }
});

test('a keyring whose key id does not match its key, or whose key is not 32 bytes, is refused', () => {
  assert.throws(() => new SecretBox({ current: { id: KEY_B_ID, key: keyA.key }, previous: [] }), RangeError);
  assert.throws(() => toMasterKey(randomBytes(31)), RangeError);
});

test('the box keeps its own copy of the key', () => {
  const raw = Buffer.from(KEY_A, 'base64');
  const box = new SecretBox({ current: toMasterKey(raw), previous: [] });
  const sealed = box.seal('x', AAD);
  raw.fill(0);
  assert.equal(box.open(sealed, AAD).toString(), 'x');
});
