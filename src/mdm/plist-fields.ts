import { MdmProtocolError } from './errors.js';
import type { PlistDict } from './plist.js';

/**
 * Typed reads of a device's dictionary. Strings are trimmed of nothing and bounded: a device
 * has no reason to send a kilobyte-long UDID, and whatever it sends ends up in the database.
 */
const MAX_STRING = 1024;

export function requiredString(dict: PlistDict, key: string, code: string): string {
  const value = dict[key];
  if (typeof value !== 'string' || value === '') throw new MdmProtocolError(code, `${key} is missing or not a string`);
  if (value.length > MAX_STRING) throw new MdmProtocolError(code, `${key} is longer than ${MAX_STRING} characters`);
  return value;
}

export function optionalString(dict: PlistDict, key: string): string | null {
  const value = dict[key];
  if (typeof value === 'string' && value !== '') return value.slice(0, MAX_STRING);
  if (typeof value === 'number') return String(value);
  return null;
}

export function optionalData(dict: PlistDict, key: string): Buffer | null {
  const value = dict[key];
  return Buffer.isBuffer(value) ? value : null;
}

export function flag(dict: PlistDict, key: string): boolean {
  return dict[key] === true;
}
