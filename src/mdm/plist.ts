/**
 * Property lists as devices send them: XML (check-ins, command results, MachineInfo) and,
 * defensively, binary `bplist00`. Parsing is strict and bounded (plist-xml.ts,
 * plist-binary.ts say how): a device body is untrusted input until its signature is checked,
 * and often even after. A malformed document is refused with a PlistError, and nothing is
 * printed. Writing uses the `plist` package's builder.
 */
import { build } from 'plist';
import { parseBinaryPlist } from './plist-binary.js';
import { isDict, PlistError, type PlistDict, type PlistValue } from './plist-value.js';
import { parseXmlPlist } from './plist-xml.js';

export { isDict, PlistError, type PlistDict, type PlistValue } from './plist-value.js';

export function parsePlist(bytes: Uint8Array): PlistValue {
  const binary = bytes.length >= 8 && Buffer.from(bytes.buffer, bytes.byteOffset, 8).toString('latin1') === 'bplist00';
  return binary ? parseBinaryPlist(bytes) : parseXmlPlist(bytes);
}

/** The dictionary at the root, or a PlistError naming what was there instead. */
export function parsePlistDict(bytes: Uint8Array): PlistDict {
  const value = parsePlist(bytes);
  if (!isDict(value)) throw new PlistError('the property list does not hold a dictionary');
  return value;
}

export function buildPlist(value: PlistValue): string {
  return build(value as Parameters<typeof build>[0]);
}
