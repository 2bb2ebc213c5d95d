/**
 * What a property list holds once read, and the one error every plist reader throws. Shared by
 * the XML and binary readers (plist-xml.ts, plist-binary.ts) and re-exported by plist.ts.
 */
export type PlistValue = string | number | boolean | Date | Buffer | readonly PlistValue[] | PlistDict;
export interface PlistDict {
  readonly [key: string]: PlistValue;
}

export class PlistError extends Error {
  readonly code = 'PLIST_MALFORMED';
  constructor(message: string) {
    super(message);
    this.name = 'PlistError';
  }
}

/** Containers nest this deep at most; a device's messages nest four or five levels. */
export const MAX_DEPTH = 32;

export function isDict(value: PlistValue | undefined): value is PlistDict {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !Buffer.isBuffer(value)
  );
}

/**
 * Characters outside XML 1.0's `Char` production (§2.2): NUL and most C0 controls, lone
 * surrogates, U+FFFE/U+FFFF. A string holding one cannot be written back as an XML plist (the
 * stored command results are) and NUL cannot be stored in PostgreSQL text, so readers refuse
 * them wherever they come from.
 */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function hasNonXmlCharacter(text: string): boolean {
  return NOT_XML_CHAR.test(text);
}

/** Sets an own key: "__proto__" from a device stays data, never a prototype. */
export function setKey(dict: Record<string, PlistValue>, key: string, value: PlistValue): void {
  Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true });
}
