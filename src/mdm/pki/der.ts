/**
 * A minimal ASN.1 DER writer (ITU-T X.690 §10): definite lengths in the fewest octets
 * (§10.1), SET OF elements sorted by their encodings (§11.6). Callers assemble structures
 * from already-encoded pieces, so fixed parts (an algorithm identifier, a certificate) are
 * encoded once and reused (reading is `src/apple/ber.ts`'s job). `cms-sign.ts` uses it on the
 * hot path; the sandbox's BER writer adds the indefinite form on top of it.
 */

export const Tag = {
  integer: 0x02,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
  context0: 0xa0, // [0], constructed
} as const;

/** One element: identifier octet, definite length, the contents concatenated. */
export function element(tag: number, ...contents: readonly Uint8Array[]): Buffer {
  let length = 0;
  for (const c of contents) length += c.byteLength;
  const lengthOctets = length < 0x80 ? 0 : length < 0x100 ? 1 : length < 0x10000 ? 2 : length < 0x1000000 ? 3 : 4;
  const out = Buffer.allocUnsafe(2 + lengthOctets + length);
  out[0] = tag;
  if (lengthOctets === 0) out[1] = length;
  else {
    out[1] = 0x80 | lengthOctets;
    for (let i = lengthOctets, n = length; i >= 1; i--, n = Math.floor(n / 256)) out[1 + i] = n % 256;
  }
  let at = 2 + lengthOctets;
  for (const c of contents) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** A SET OF: DER orders the elements by their encodings, compared as octet strings (§11.6). */
export function setOf(tag: number, elements: readonly Uint8Array[]): Buffer {
  return element(tag, ...[...elements].sort(Buffer.compare));
}

export function oid(dotted: string): Buffer {
  const arcs = /^\d+(\.\d+)+$/.test(dotted) ? dotted.split('.').map(Number) : [];
  const [first = -1, second = -1, ...rest] = arcs;
  // X.690 §8.19: at least two arcs, the first 0–2, the second below 40 under 0 and 1.
  if (
    first < 0 ||
    first > 2 ||
    (first < 2 && second >= 40) ||
    !arcs.every(Number.isSafeInteger) ||
    !Number.isSafeInteger(first * 40 + second)
  ) {
    throw new RangeError(`not an object identifier: ${dotted}`);
  }
  const bytes: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const chunk = [arc % 128];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift(0x80 | (n % 128));
    bytes.push(...chunk);
  }
  return element(Tag.oid, Buffer.from(bytes));
}

export function smallInteger(value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 127) throw new RangeError('smallInteger takes 0..127');
  return element(Tag.integer, Buffer.from([value]));
}

export const NULL = Buffer.from([Tag.null, 0]);
