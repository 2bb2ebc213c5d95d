/**
 * Just enough of an ASN.1 BER encoder (ITU-T X.690) to write a CMS EnvelopedData the way
 * Apple Business Manager does: definite lengths for the small inner structures (the shared
 * DER writer, src/mdm/pki/der.ts), the indefinite form (0x80 … 00 00, §8.1.3.6) for the
 * streaming outer ones.
 */
export { NULL, Tag, element as definite, oid, smallInteger } from '../mdm/pki/der.js';

/** A constructed element in the indefinite form, closed by end-of-contents octets. */
export function indefinite(tag: number, ...contents: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from([tag | 0x20, 0x80]), ...contents, Buffer.from([0, 0])]);
}
