import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerError, decodeOid, octetStringValue, parseBer, peekContentType } from '../../src/apple/ber.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('definite and indefinite lengths give the same tree', () => {
  const definite = parseBer(hex('30 06 02 01 05 04 01 aa'));
  const indefinite = parseBer(hex('30 80 02 01 05 04 01 aa 00 00'));
  assert.equal(definite.children.length, 2);
  assert.equal(indefinite.children.length, 2);
  assert.deepEqual(Buffer.from(indefinite.children[1]?.content ?? []), hex('aa'));
  assert.equal(indefinite.end, 10);
});

test('a constructed OCTET STRING (X.690 §8.7.3, as streamed by OpenSSL and Apple) is concatenated', () => {
  const node = parseBer(hex('a0 80 04 02 01 02 24 80 04 01 03 00 00 04 01 04 00 00'));
  assert.deepEqual(Buffer.from(octetStringValue(node)), hex('01 02 03 04'));
});

test('object identifiers decode, including multi-octet arcs', () => {
  assert.equal(decodeOid(hex('2a 86 48 86 f7 0d 01 07 03')), '1.2.840.113549.1.7.3');
  assert.equal(decodeOid(hex('60 86 48 01 65 03 04 01 02')), '2.16.840.1.101.3.4.1.2');
  assert.throws(() => decodeOid(hex('2a 86')), BerError);
});

test('peekContentType reads the content type of a truncated ContentInfo', () => {
  assert.equal(peekContentType(hex('30 80 06 09 2a 86 48 86 f7 0d 01 07 03 a0 80 30')), '1.2.840.113549.1.7.3');
  assert.equal(peekContentType(hex('30 82 03 00 30 82')), null);
  assert.equal(peekContentType(Buffer.from('MIAGCSqGSIb3DQEHA6CAMIA')), null);
});

test('malformed encodings throw BerError and nothing else', () => {
  for (const bad of [
    '',
    '30',
    '30 05 02 01',
    '04 80 00 00',
    '30 ff',
    '30 85 01 00 00 00 00',
    '30 80 02 01 05',
    '1f ff ff ff 7f 00',
  ]) {
    assert.throws(() => parseBer(hex(bad)), BerError, bad);
  }
});

test('nesting deeper than the limit is refused without recursion trouble', () => {
  const deep = Buffer.alloc(200_000, hex('30 80'));
  assert.throws(() => parseBer(deep), /nesting too deep/);
});
