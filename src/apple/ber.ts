/**
 * A small, bounded BER reader (ITU-T X.690) for the handful of CMS and X.509 structures the
 * token code needs. Why not node-forge's `asn1.fromDer`: Apple's `.p7m` files use
 * indefinite lengths and constructed OCTET STRINGs, forge guesses whether BIT/OCTET STRING
 * contents are nested ASN.1, and on hostile input it can throw non-Error values. This reader
 * only ever throws `BerError`, never reads past its input, caps nesting depth and node count,
 * and leaves primitive contents as byte views.
 */

export class BerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BerError';
  }
}

export const TagClass = { universal: 0, application: 1, context: 2, private: 3 } as const;
export type TagClass = (typeof TagClass)[keyof typeof TagClass];

export const UniversalTag = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  oid: 6,
  utf8String: 12,
  sequence: 16,
  set: 17,
  printableString: 19,
  teletexString: 20,
  ia5String: 22,
  visibleString: 26,
  universalString: 28,
  bmpString: 30,
} as const;

export interface BerNode {
  readonly tagClass: TagClass;
  readonly tagNumber: number;
  readonly constructed: boolean;
  /** Offset of the identifier octet in the parsed buffer. */
  readonly start: number;
  /** Offset just past the element (past the end-of-contents octets for indefinite lengths). */
  readonly end: number;
  /** Contents octets of a primitive element (a view, not a copy); empty for constructed ones. */
  readonly content: Uint8Array;
  readonly children: readonly BerNode[];
}

export interface BerLimits {
  /** CMS EnvelopedData with a certificate-bearing originatorInfo nests about 12 deep. */
  readonly maxDepth: number;
  readonly maxNodes: number;
}

const DEFAULT_LIMITS: BerLimits = { maxDepth: 40, maxNodes: 100_000 };

interface Header {
  readonly tagClass: TagClass;
  readonly tagNumber: number;
  readonly constructed: boolean;
  readonly contentStart: number;
  /** `null` for the indefinite form (X.690 §8.1.3.6). */
  readonly length: number | null;
}

function readHeader(buf: Uint8Array, offset: number, limit: number): Header {
  let pos = offset;
  if (pos >= limit) throw new BerError(`truncated: identifier expected at ${offset}`);
  const first = buf[pos++] as number;
  const tagClass = (first >> 6) as TagClass;
  const constructed = (first & 0x20) !== 0;
  let tagNumber = first & 0x1f;
  if (tagNumber === 0x1f) {
    // High tag number form (X.690 §8.1.2.4); nothing we read needs more than 3 octets.
    tagNumber = 0;
    for (let i = 0; ; i++) {
      if (pos >= limit) throw new BerError('truncated tag number');
      if (i === 3) throw new BerError('tag number too large');
      const b = buf[pos++] as number;
      tagNumber = tagNumber * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  if (pos >= limit) throw new BerError(`truncated: length expected at ${pos}`);
  const lengthByte = buf[pos++] as number;
  let length: number | null;
  if (lengthByte < 0x80) {
    length = lengthByte;
  } else if (lengthByte === 0x80) {
    if (!constructed) throw new BerError(`indefinite length on a primitive element at ${offset}`);
    length = null;
  } else {
    const count = lengthByte & 0x7f;
    // 0xff is reserved (X.690 §8.1.3.5 c); more than 4 octets cannot fit a 1 MiB file anyway.
    if (count > 4) throw new BerError(`length of ${count} octets at ${offset}`);
    if (pos + count > limit) throw new BerError('truncated length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buf[pos++] as number);
  }
  if (length !== null && length > limit - pos) {
    throw new BerError(`truncated: element at ${offset} claims ${length} octets, ${limit - pos} remain`);
  }
  return { tagClass, tagNumber, constructed, contentStart: pos, length };
}

/**
 * Parses the BER element that starts at `offset` (default 0). Bytes after it are ignored:
 * base64 padding and stray trailing newlines are common in downloaded files.
 */
export function parseBer(buf: Uint8Array, offset = 0, limits: BerLimits = DEFAULT_LIMITS): BerNode {
  let nodes = 0;
  const EMPTY = new Uint8Array(0);

  function parse(at: number, limit: number, depth: number): BerNode {
    if (depth > limits.maxDepth) throw new BerError('nesting too deep');
    if (++nodes > limits.maxNodes) throw new BerError('too many elements');
    const h = readHeader(buf, at, limit);
    if (!h.constructed) {
      const length = h.length ?? 0;
      const end = h.contentStart + length;
      return {
        tagClass: h.tagClass,
        tagNumber: h.tagNumber,
        constructed: false,
        start: at,
        end,
        content: buf.subarray(h.contentStart, end),
        children: [],
      };
    }
    const children: BerNode[] = [];
    let pos = h.contentStart;
    if (h.length === null) {
      // Indefinite form: children until the end-of-contents octets 00 00 (X.690 §8.1.5).
      for (;;) {
        if (pos + 2 > limit) throw new BerError(`truncated: no end-of-contents for element at ${at}`);
        if (buf[pos] === 0 && buf[pos + 1] === 0) {
          pos += 2;
          break;
        }
        const child = parse(pos, limit, depth + 1);
        children.push(child);
        pos = child.end;
      }
    } else {
      const end = h.contentStart + h.length;
      while (pos < end) {
        const child = parse(pos, end, depth + 1);
        children.push(child);
        pos = child.end;
      }
    }
    return {
      tagClass: h.tagClass,
      tagNumber: h.tagNumber,
      constructed: true,
      start: at,
      end: pos,
      content: EMPTY,
      children,
    };
  }

  return parse(offset, buf.length, 0);
}

/**
 * Reads only the ContentInfo prefix `SEQUENCE { OBJECT IDENTIFIER, …` so a damaged file can
 * still be told apart: "this is enveloped data, but broken" versus "this is not a token".
 */
export function peekContentType(buf: Uint8Array): string | null {
  try {
    const outer = readHeader(buf, 0, buf.length);
    if (outer.tagClass !== TagClass.universal || outer.tagNumber !== UniversalTag.sequence || !outer.constructed) {
      return null;
    }
    const limit = outer.length === null ? buf.length : outer.contentStart + outer.length;
    const inner = readHeader(buf, outer.contentStart, limit);
    if (inner.tagClass !== TagClass.universal || inner.tagNumber !== UniversalTag.oid || inner.constructed) {
      return null;
    }
    const length = inner.length ?? 0;
    return decodeOid(buf.subarray(inner.contentStart, inner.contentStart + length));
  } catch (error) {
    if (error instanceof BerError) return null;
    throw error;
  }
}

export function isUniversal(node: BerNode, tagNumber: number): boolean {
  return node.tagClass === TagClass.universal && node.tagNumber === tagNumber;
}

export function isContext(node: BerNode, tagNumber: number): boolean {
  return node.tagClass === TagClass.context && node.tagNumber === tagNumber;
}

/** The `index`th child, or a BerError naming what was expected there. */
export function child(node: BerNode, index: number, what: string): BerNode {
  const c = node.children[index];
  if (c === undefined) throw new BerError(`${what} missing`);
  return c;
}

export function expectUniversal(node: BerNode, tagNumber: number, what: string): BerNode {
  if (!isUniversal(node, tagNumber)) throw new BerError(`${what} expected`);
  if ((tagNumber === UniversalTag.sequence || tagNumber === UniversalTag.set) !== node.constructed) {
    throw new BerError(`${what} has the wrong form`);
  }
  return node;
}

export function decodeOid(content: Uint8Array): string {
  if (content.length === 0 || content.length > 64) throw new BerError('bad OBJECT IDENTIFIER length');
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < content.length; i++) {
    const b = content[i] as number;
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new BerError('OBJECT IDENTIFIER arc too large');
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = value < 40 ? 0 : value < 80 ? 1 : 2;
        arcs.push(first, value - first * 40);
      } else {
        arcs.push(value);
      }
      value = 0;
    } else if (i === content.length - 1) {
      throw new BerError('truncated OBJECT IDENTIFIER');
    }
  }
  return arcs.join('.');
}

export function readOid(node: BerNode, what: string): string {
  if (!isUniversal(node, UniversalTag.oid) || node.constructed) throw new BerError(`${what} (OID) expected`);
  return decodeOid(node.content);
}

/**
 * The value of an OCTET STRING, concatenating the segments of the constructed form that
 * streaming encoders (OpenSSL `-stream`, Apple) use (X.690 §8.7.3). `node` may carry an
 * implicit context tag, as `encryptedContent [0] IMPLICIT OCTET STRING` does.
 */
export function octetStringValue(node: BerNode): Uint8Array {
  return stringValue(node, UniversalTag.octetString);
}

/** Contents of a string type; constructed (BER) strings are segments of the same type. */
function stringValue(node: BerNode, segmentTag: number): Uint8Array {
  if (!node.constructed) return node.content;
  const parts: Uint8Array[] = [];
  const collect = (n: BerNode): void => {
    for (const segment of n.children) {
      if (!isUniversal(segment, segmentTag)) throw new BerError('bad segment in a constructed string');
      if (segment.constructed) collect(segment);
      else parts.push(segment.content);
    }
  };
  collect(node);
  return Buffer.concat(parts);
}

/** INTEGER contents without redundant leading zero octets, for comparing serial numbers. */
export function integerMagnitude(node: BerNode, what: string): Uint8Array {
  if (!isUniversal(node, UniversalTag.integer) || node.constructed || node.content.length === 0) {
    throw new BerError(`${what} (INTEGER) expected`);
  }
  let i = 0;
  while (i < node.content.length - 1 && node.content[i] === 0) i++;
  return node.content.subarray(i);
}

const STRING_TAGS: ReadonlySet<number> = new Set([
  UniversalTag.utf8String,
  UniversalTag.printableString,
  UniversalTag.ia5String,
  UniversalTag.visibleString,
  UniversalTag.teletexString,
  UniversalTag.bmpString,
  UniversalTag.universalString,
]);

/** Decodes the ASN.1 string types X.509 names use; other types come back as hex. */
export function decodeString(node: BerNode): string {
  const tag = node.tagClass === TagClass.universal ? node.tagNumber : -1;
  const bytes = STRING_TAGS.has(tag) ? stringValue(node, tag) : node.content;
  switch (tag) {
    case UniversalTag.utf8String:
      return new TextDecoder('utf-8').decode(bytes);
    case UniversalTag.printableString:
    case UniversalTag.ia5String:
    case UniversalTag.visibleString:
    case UniversalTag.teletexString:
      return Buffer.from(bytes).toString('latin1');
    case UniversalTag.bmpString: {
      // UTF-16BE; Node's TextDecoder only has utf-16be with full ICU, so swap to LE.
      const le = Buffer.from(bytes.subarray(0, bytes.length & ~1));
      return le.swap16().toString('utf16le');
    }
    case UniversalTag.universalString: {
      let s = '';
      for (let i = 0; i + 4 <= bytes.length; i += 4) {
        const cp = new DataView(bytes.buffer, bytes.byteOffset + i, 4).getUint32(0);
        s += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
      }
      return s;
    }
    default:
      return `#${Buffer.from(bytes).toString('hex')}`;
  }
}
