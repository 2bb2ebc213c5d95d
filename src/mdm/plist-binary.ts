/**
 * A bounded reader for binary property lists (`bplist00`, CoreFoundation's
 * CFBinaryPList.c layout): a header, the objects, an offset table, and a 32-byte trailer
 * naming the offset and reference sizes, the object count, the top object and the table's
 * place. Devices send XML; this exists so a binary body is read safely rather than refused.
 *
 * Why not `plist.parseBinary`: it follows object references without any budget, so a 154-byte
 * file whose arrays each point twice at the next one made it walk 2^22 objects (19 s with
 * the event loop held) and a reference cycle recursed until the stack overflowed. Here every
 * visit is counted against a budget proportional to the input, nesting stops at MAX_DEPTH
 * (which also ends any cycle), and every length is checked against the object area before
 * anything is read or allocated.
 */
import { MAX_DEPTH, PlistError, hasNonXmlCharacter, setKey, type PlistValue } from './plist-value.js';

const HEADER = 8;
const TRAILER = 32;
/** Seconds between the Unix epoch and CoreFoundation's, 2001-01-01T00:00:00Z. */
const CF_EPOCH_SECONDS = 978_307_200;
/** An honest file visits each reference once, and each reference takes at least a byte. */
const visitBudget = (bytes: number) => Math.min(4 * bytes + 1024, 2_000_000);

export function parseBinaryPlist(bytes: Uint8Array): PlistValue {
  return new BinaryReader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).document();
}

class BinaryReader {
  private budget: number;
  private readonly offsetSize: number;
  private readonly refSize: number;
  private readonly objectCount: number;
  private readonly topObject: number;
  private readonly tableOffset: number;

  constructor(private readonly b: Buffer) {
    if (b.length < HEADER + TRAILER + 1) throw fail('too short for a header, an object and a trailer');
    const trailer = b.length - TRAILER;
    this.offsetSize = b[trailer + 6] ?? 0;
    this.refSize = b[trailer + 7] ?? 0;
    if (!isIntSize(this.offsetSize) || !isIntSize(this.refSize)) throw fail('the trailer names an impossible int size');
    this.objectCount = this.uint(trailer + 8, 8);
    this.topObject = this.uint(trailer + 16, 8);
    this.tableOffset = this.uint(trailer + 24, 8);
    if (this.objectCount < 1 || this.topObject >= this.objectCount) throw fail('the trailer names no top object');
    if (this.tableOffset < HEADER + 1 || this.tableOffset + this.objectCount * this.offsetSize > trailer) {
      throw fail('the offset table lies outside the file');
    }
    this.budget = visitBudget(b.length);
  }

  document(): PlistValue {
    return this.object(this.topObject, 0);
  }

  private object(ref: number, depth: number): PlistValue {
    if (depth > MAX_DEPTH) throw fail(`nested deeper than ${MAX_DEPTH} levels`);
    this.budget -= 1;
    if (this.budget < 0) throw fail('too many object references for its size');
    if (ref >= this.objectCount) throw fail('a reference points past the last object');
    const offset = this.uint(this.tableOffset + ref * this.offsetSize, this.offsetSize);
    if (offset < HEADER || offset >= this.tableOffset) throw fail('an object offset lies outside the object area');
    const marker = this.b[offset] ?? 0;
    const type = marker >> 4;
    const low = marker & 0x0f;
    switch (type) {
      case 0x0:
        if (marker === 0x08) return false;
        if (marker === 0x09) return true;
        throw fail(`marker 0x${marker.toString(16)} is not a property list type`);
      case 0x1:
        return this.int(offset + 1, 1 << low);
      case 0x2: {
        const size = 1 << low;
        this.need(offset + 1, size);
        if (size === 4) return this.b.readFloatBE(offset + 1);
        if (size === 8) return this.b.readDoubleBE(offset + 1);
        throw fail(`a real of ${size} bytes`);
      }
      case 0x3: {
        if (marker !== 0x33) throw fail('a date that is not 8 bytes');
        this.need(offset + 1, 8);
        const date = new Date((this.b.readDoubleBE(offset + 1) + CF_EPOCH_SECONDS) * 1000);
        if (Number.isNaN(date.getTime())) throw fail('a date out of range');
        return date;
      }
      case 0x4: {
        const { start, count } = this.length(offset, low);
        this.need(start, count);
        return Buffer.from(this.b.subarray(start, start + count));
      }
      case 0x5: {
        const { start, count } = this.length(offset, low);
        this.need(start, count);
        return checkText(this.b.toString('latin1', start, start + count));
      }
      case 0x6: {
        const { start, count } = this.length(offset, low);
        this.need(start, count * 2);
        // UTF-16 big-endian: swap into little-endian for Node's decoder.
        return checkText(
          Buffer.from(this.b.subarray(start, start + count * 2))
            .swap16()
            .toString('utf16le'),
        );
      }
      case 0xa: {
        const { start, count } = this.length(offset, low);
        this.need(start, count * this.refSize);
        const items: PlistValue[] = [];
        for (let i = 0; i < count; i += 1) {
          items.push(this.object(this.uint(start + i * this.refSize, this.refSize), depth + 1));
        }
        return items;
      }
      case 0xd: {
        const { start, count } = this.length(offset, low);
        this.need(start, count * 2 * this.refSize);
        const dict: Record<string, PlistValue> = {};
        for (let i = 0; i < count; i += 1) {
          const key = this.object(this.uint(start + i * this.refSize, this.refSize), depth + 1);
          if (typeof key !== 'string') throw fail('a dictionary key is not a string');
          setKey(dict, key, this.object(this.uint(start + (count + i) * this.refSize, this.refSize), depth + 1));
        }
        return dict;
      }
      default:
        // 0x8 UID (keyed archives), 0xc set and the reserved types have no XML plist form.
        throw fail(`object type 0x${type.toString(16)} is not a property list type`);
    }
  }

  /** An object's count: in the marker's low nibble, or (0xF) in the int object that follows. */
  private length(offset: number, low: number): { start: number; count: number } {
    if (low !== 0x0f) return { start: offset + 1, count: low };
    this.need(offset + 1, 1);
    const marker = this.b[offset + 1] ?? 0;
    if (marker >> 4 !== 0x1) throw fail('a length that is not an int');
    const size = 1 << (marker & 0x0f);
    const count = this.int(offset + 2, size);
    if (count < 0) throw fail('a negative length');
    return { start: offset + 2 + size, count };
  }

  private int(offset: number, size: number): number {
    this.need(offset, size);
    if (size === 1 || size === 2 || size === 4) return this.b.readUIntBE(offset, size);
    // CoreFoundation writes 8-byte ints signed; larger ones are 128-bit and not used by MDM.
    if (size === 8) return Number(this.b.readBigInt64BE(offset));
    throw fail(`an int of ${size} bytes`);
  }

  private uint(offset: number, size: number): number {
    this.need(offset, size);
    if (size <= 6) return this.b.readUIntBE(offset, size);
    const value = this.b.readBigUInt64BE(offset);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw fail('an offset or count too large for the file');
    return Number(value);
  }

  /** `size` bytes from `offset` lie inside the file: checked before anything is read or copied. */
  private need(offset: number, size: number): void {
    if (!Number.isSafeInteger(offset + size) || offset + size > this.b.length)
      throw fail('an object runs past the end');
  }
}

function isIntSize(size: number): boolean {
  return size === 1 || size === 2 || size === 4 || size === 8;
}

function checkText(text: string): string {
  if (hasNonXmlCharacter(text)) throw fail('a string holds a character XML forbids');
  return text;
}

function fail(message: string): PlistError {
  return new PlistError(`not a binary property list: ${message}`);
}
