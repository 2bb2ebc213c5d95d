/**
 * Just enough of an ASN.1 BER encoder (ITU-T X.690) to write a CMS EnvelopedData the way
 * Apple Business Manager does: definite lengths for the small inner structures, the
 * indefinite form (0x80 … 00 00, §8.1.3.6) for the streaming outer ones.
 */

export const Tag = {
  integer: 0x02,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  sequence: 0x30,
  set: 0x31,
  context0: 0xa0, // [0], constructed
} as const;

function lengthOctets(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** An element with a definite length (§8.1.3.3–5). */
export function definite(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), lengthOctets(body.length), body]);
}

/** A constructed element in the indefinite form, closed by end-of-contents octets. */
export function indefinite(tag: number, ...contents: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from([tag | 0x20, 0x80]), ...contents, Buffer.from([0, 0])]);
}

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((arc) => Number(arc));
  const [first = 0, second = 0, ...rest] = arcs;
  const bytes: number[] = [first * 40 + second];
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift(0x80 | (n & 0x7f));
    bytes.push(...chunk);
  }
  return definite(Tag.oid, Buffer.from(bytes));
}

export function smallInteger(value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 127) throw new RangeError('smallInteger takes 0..127');
  return definite(Tag.integer, Buffer.from([value]));
}

export const NULL = Buffer.from([Tag.null, 0]);
