// The shared DER writer against asn1js, an encoder this project did not write: the same bytes
// for lengths at every boundary of the length octets (X.690 §10.1), for object identifiers
// with large arcs (§8.19), and SET OF ordered by encoding (§11.6).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as asn1js from 'asn1js';
import { NULL, Tag, element, oid, setOf, smallInteger } from '../../../src/mdm/pki/der.js';

describe('DER writer', () => {
  test('lengths take the fewest octets, the same as asn1js writes them, from 0 to 16 MiB', () => {
    for (const size of [0, 1, 127, 128, 255, 256, 65535, 65536, 16_777_215, 16_777_216]) {
      const content = Buffer.alloc(size, 0x5a);
      const ours = element(Tag.octetString, content);
      const theirs = Buffer.from(new asn1js.OctetString({ valueHex: content }).toBER());
      assert.ok(ours.equals(theirs), `length ${size}`);
    }
  });

  test('nested elements concatenate their contents in order', () => {
    const ours = element(Tag.sequence, smallInteger(1), NULL, element(Tag.octetString, Buffer.from('ab')));
    const theirs = new asn1js.Sequence({
      value: [
        new asn1js.Integer({ value: 1 }),
        new asn1js.Null(),
        new asn1js.OctetString({ valueHex: Buffer.from('ab') }),
      ],
    }).toBER();
    assert.ok(ours.equals(Buffer.from(theirs)));
  });

  test('object identifiers encode as asn1js encodes them, large arcs included', () => {
    for (const dotted of [
      '1.2.840.113549.1.7.2',
      '2.16.840.1.101.3.4.2.1',
      '2.16.840.1.113733.1.9.7',
      '0.39',
      '2.999.3',
      '1.3.6.1.4.1.4294967295.9007199254740991',
    ]) {
      const theirs = Buffer.from(new asn1js.ObjectIdentifier({ value: dotted }).toBER());
      assert.ok(oid(dotted).equals(theirs), dotted);
    }
  });

  test('strings that are not object identifiers are a RangeError', () => {
    for (const dotted of ['', '1', '3.1', '0.40', '1.2.-3', '1.2.x', '1..2', '1.2.9007199254740992']) {
      assert.throws(() => oid(dotted), RangeError, dotted);
    }
  });

  test('a SET OF comes out ordered by the elements’ encodings, whatever order they came in', () => {
    const a = Buffer.from([0x04, 0x01, 0x02]);
    const b = Buffer.from([0x04, 0x02, 0x01, 0x01]);
    const c = Buffer.from([0x13, 0x01, 0x00]);
    const sorted = Buffer.concat([Buffer.from([0x31, 10]), a, b, c]);
    assert.ok(setOf(Tag.set, [c, b, a]).equals(sorted));
    assert.ok(setOf(Tag.set, [b, a, c]).equals(sorted));
  });

  test('smallInteger takes 0..127 only', () => {
    assert.ok(smallInteger(127).equals(Buffer.from([0x02, 0x01, 0x7f])));
    for (const bad of [-1, 128, 1.5]) assert.throws(() => smallInteger(bad), RangeError);
  });
});
