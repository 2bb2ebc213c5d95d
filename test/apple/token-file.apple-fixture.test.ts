import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenExpiredError } from '../../src/apple/errors.js';
import { decryptServerToken } from '../../src/apple/token-file.js';
import { appleFixture } from './support/tokens.js';

const candidates = [
  { id: 'petarov-test-server', privateKeyPem: appleFixture.privateKeyPem, certificatePem: appleFixture.certificatePem },
];

test('the token Apple Business Manager issued decrypts with its PKCS#1 key to exactly the five published values', () => {
  const { token, keyPairId } = decryptServerToken(appleFixture.file, candidates, new Date('2025-06-01T00:00:00Z'));
  assert.equal(keyPairId, 'petarov-test-server');
  assert.deepEqual(token, appleFixture.expected);
});

test('the Apple-issued token is still accepted one second before it expires', () => {
  const { token } = decryptServerToken(appleFixture.file, candidates, new Date('2026-01-17T11:02:20Z'));
  assert.equal(token.accessSecret, appleFixture.expected.accessSecret);
});

test('once past 2026-01-17 the Apple-issued token is refused as TOKEN_EXPIRED, carrying the expiry and no secrets', () => {
  assert.throws(
    () => decryptServerToken(appleFixture.file, candidates, new Date('2026-01-18T00:00:00Z')),
    (error: unknown) => {
      assert.ok(error instanceof TokenExpiredError);
      assert.equal(error.code, 'TOKEN_EXPIRED');
      assert.deepEqual(error.expiredAt, new Date('2026-01-17T11:02:21Z'));
      assert.equal(error.keyPairId, 'petarov-test-server');
      assert.match(error.message, /2026-01-17 11:02:21 UTC/);
      assert.match(error.message, /download a new token/i);
      for (const secret of Object.values(appleFixture.expected)) {
        if (typeof secret === 'string') assert.ok(!error.message.includes(secret));
      }
      return true;
    },
  );
});

test('the Apple-issued token is read the same after a trip through Windows (CRLF line ends)', () => {
  const crlf = Buffer.from(appleFixture.file.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
  const { token } = decryptServerToken(crlf, candidates, new Date('2025-06-01T00:00:00Z'));
  assert.deepEqual(token, appleFixture.expected);
});
