import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenMissingFieldsError } from '../../src/apple/errors.js';
import { parseServerTokenContent } from '../../src/apple/server-token.js';
import { INNER_SHAPES, describeShape, innerContent, syntheticToken, tokenJson } from './support/tokens.js';

for (const shape of INNER_SHAPES) {
  test(`decrypted content with ${describeShape(shape)} parses to the token`, () => {
    assert.deepEqual(parseServerTokenContent(innerContent(shape)), syntheticToken);
  });
}

test('a base64 Content-Transfer-Encoding in the inner part is decoded', () => {
  const body = Buffer.from(`-----BEGIN MESSAGE-----\n${tokenJson()}\n-----END MESSAGE-----\n`).toString('base64');
  const text = `Content-Type: text/plain;charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${body.replace(/(.{76})/g, '$1\r\n')}\r\n`;
  assert.deepEqual(parseServerTokenContent(text), syntheticToken);
});

test('a byte-order mark and surrounding whitespace are tolerated', () => {
  assert.deepEqual(parseServerTokenContent(`\uFEFF\n  ${tokenJson()}  \n\n`), syntheticToken);
});

test('a token without access_token_expiry parses with a null expiry', () => {
  assert.equal(parseServerTokenContent(tokenJson({ access_token_expiry: undefined })).accessTokenExpiry, null);
});

test('an expiry without a zone is read as UTC, and offsets are honoured', () => {
  assert.deepEqual(
    parseServerTokenContent(tokenJson({ access_token_expiry: '2026-01-17T11:02:21' })).accessTokenExpiry,
    new Date('2026-01-17T11:02:21Z'),
  );
  assert.deepEqual(
    parseServerTokenContent(tokenJson({ access_token_expiry: '2026-01-17T13:02:21+0200' })).accessTokenExpiry,
    new Date('2026-01-17T11:02:21Z'),
  );
});

test('an unreadable expiry is reported as unknown (null) rather than guessed', () => {
  assert.equal(parseServerTokenContent(tokenJson({ access_token_expiry: 'next year' })).accessTokenExpiry, null);
});

test('content that is not JSON is refused with TOKEN_MISSING_FIELDS', () => {
  for (const text of ['', 'hello', '-----BEGIN MESSAGE-----\nnot json\n-----END MESSAGE-----', '[1,2,3]', 'null']) {
    assert.throws(() => parseServerTokenContent(text), TokenMissingFieldsError, JSON.stringify(text));
  }
});

test('missing, empty and non-string fields are all named, in a stable order', () => {
  assert.throws(
    () => parseServerTokenContent(tokenJson({ consumer_key: 42, access_token: '', access_secret: undefined })),
    (error: unknown) => {
      assert.ok(error instanceof TokenMissingFieldsError);
      assert.deepEqual(error.missingFields, ['consumer_key', 'access_token', 'access_secret']);
      assert.match(error.message, /consumer_key, access_token, access_secret/);
      assert.ok(!error.message.includes(syntheticToken.consumerSecret));
      return true;
    },
  );
});

test('deeply nested JSON does not crash the parser', () => {
  const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
  assert.throws(() => parseServerTokenContent(deep), TokenMissingFieldsError);
});
