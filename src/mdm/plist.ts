/**
 * Property lists as devices send them: XML (check-ins, command results, MachineInfo) and,
 * defensively, binary `bplist00`. Parsing is strict and bounded: a device body is untrusted
 * input until its signature is checked, and often even after.
 *
 * Why not `plist.parse`: it runs xmldom with its default error handler, which prints every
 * malformed document to the console and carries on with what it could salvage. Here a
 * malformed document is refused with a PlistError, and nothing is printed.
 */
import { DOMParser, type Element, type Node } from '@xmldom/xmldom';
import { build, parseBinary } from 'plist';

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

const MAX_DEPTH = 32;
const ELEMENT_NODE = 1;
const TEXT_NODES = new Set([3, 4]); // text and CDATA

export function parsePlist(bytes: Uint8Array): PlistValue {
  if (bytes.length >= 8 && Buffer.from(bytes.subarray(0, 8)).toString('latin1') === 'bplist00') {
    try {
      return fromBinary(parseBinary(Buffer.from(bytes)), 0);
    } catch (error) {
      throw error instanceof PlistError ? error : new PlistError(`not a binary property list: ${messageOf(error)}`);
    }
  }
  const text = Buffer.from(bytes).toString('utf8');
  let root: Element | null;
  try {
    const parser = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') throw new PlistError(`not an XML property list: ${message}`);
      },
    });
    root = parser.parseFromString(text, 'text/xml').documentElement;
  } catch (error) {
    throw error instanceof PlistError ? error : new PlistError(`not an XML property list: ${messageOf(error)}`);
  }
  if (root === null || root.nodeName !== 'plist') throw new PlistError('not a property list: the root element is not <plist>');
  const values = elementChildren(root);
  if (values.length !== 1) throw new PlistError('a property list holds exactly one value');
  return fromElement(values[0] as Element, 0);
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

export function isDict(value: PlistValue | undefined): value is PlistDict {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !Buffer.isBuffer(value)
  );
}

function fromElement(element: Element, depth: number): PlistValue {
  if (depth > MAX_DEPTH) throw new PlistError(`nested deeper than ${MAX_DEPTH} levels`);
  const text = () => textOf(element);
  switch (element.nodeName) {
    case 'string':
      return text();
    case 'integer': {
      const raw = text().trim();
      if (!/^[+-]?\d{1,19}$/.test(raw)) throw new PlistError(`"${raw.slice(0, 40)}" is not an integer`);
      return Number(raw);
    }
    case 'real': {
      const value = Number(text().trim());
      if (Number.isNaN(value) && text().trim().toLowerCase() !== 'nan') throw new PlistError('a <real> is not a number');
      return value;
    }
    case 'true':
      return true;
    case 'false':
      return false;
    case 'date': {
      const date = new Date(text().trim());
      if (Number.isNaN(date.getTime())) throw new PlistError('a <date> is not an ISO 8601 date');
      return date;
    }
    case 'data': {
      const compact = text().replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) throw new PlistError('a <data> value is not base64');
      return Buffer.from(compact, 'base64');
    }
    case 'array':
      return elementChildren(element).map((child) => fromElement(child, depth + 1));
    case 'dict': {
      const children = elementChildren(element);
      if (children.length % 2 !== 0) throw new PlistError('a <dict> has a key without a value');
      const dict: Record<string, PlistValue> = {};
      for (let i = 0; i < children.length; i += 2) {
        const key = children[i] as Element;
        if (key.nodeName !== 'key') throw new PlistError(`a <dict> has <${key.nodeName}> where a <key> belongs`);
        const name = textOf(key);
        // Own keys only: "__proto__" from a device must stay data.
        Object.defineProperty(dict, name, {
          value: fromElement(children[i + 1] as Element, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return dict;
    }
    default:
      throw new PlistError(`<${element.nodeName}> is not a property list type`);
  }
}

function elementChildren(element: Element): Element[] {
  const out: Element[] = [];
  for (let node: Node | null = element.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === ELEMENT_NODE) out.push(node as Element);
    else if (TEXT_NODES.has(node.nodeType) && (node.nodeValue ?? '').trim() !== '') {
      throw new PlistError(`stray text inside <${element.nodeName}>`);
    }
  }
  return out;
}

function textOf(element: Element): string {
  let text = '';
  for (let node: Node | null = element.firstChild; node !== null; node = node.nextSibling) {
    if (TEXT_NODES.has(node.nodeType)) text += node.nodeValue ?? '';
    else if (node.nodeType === ELEMENT_NODE) throw new PlistError(`<${element.nodeName}> holds an element, not text`);
  }
  return text;
}

function fromBinary(value: unknown, depth: number): PlistValue {
  if (depth > MAX_DEPTH) throw new PlistError(`nested deeper than ${MAX_DEPTH} levels`);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (Array.isArray(value)) return value.map((item) => fromBinary(item, depth + 1));
  if (typeof value === 'object' && value !== null) {
    const dict: Record<string, PlistValue> = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(dict, key, { value: fromBinary(item, depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return dict;
  }
  throw new PlistError('a binary property list holds a value of no property list type');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
