/**
 * Tolerant readers for Apple's JSON answers: unknown fields are ignored, missing or
 * wrongly-typed optional fields read as null, and only a missing field that every answer
 * must have is an error. Liberal in what we accept (apple-protocols.md, preamble).
 */
import { DepUnexpectedResponseError, type DepCall } from './errors.js';

export type WireObject = Readonly<Record<string, unknown>>;

export function isObject(value: unknown): value is WireObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function expectObject(call: DepCall, value: unknown, what = 'the answer'): WireObject {
  if (!isObject(value)) throw new DepUnexpectedResponseError(call, `${what} is not a JSON object`);
  return value;
}

export function str(object: WireObject, key: string): string | null {
  const value = object[key];
  return typeof value === 'string' ? value : null;
}

export function requiredStr(call: DepCall, object: WireObject, key: string): string {
  const value = str(object, key);
  if (value === null || value === '') throw new DepUnexpectedResponseError(call, `${key} is missing`);
  return value;
}

export function bool(object: WireObject, key: string): boolean | null {
  const value = object[key];
  if (typeof value === 'boolean') return value;
  // Seen from older services and simulators: booleans as strings.
  if (value === 'true') return true;
  if (value === 'false') return false;
  return null;
}

export function num(object: WireObject, key: string): number | null {
  const value = object[key];
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return null;
}

export function strings(object: WireObject, key: string): string[] | null {
  const value = object[key];
  if (!Array.isArray(value)) return null;
  return value.filter((item): item is string => typeof item === 'string');
}

/** `{serial: "SUCCESS", …}` maps; entries whose value is not a string are dropped. */
export function statusMap(object: WireObject, key: string): Record<string, string> {
  const value = object[key];
  const out: Record<string, string> = {};
  if (!isObject(value)) return out;
  for (const [serial, status] of Object.entries(value)) {
    if (typeof status === 'string') out[serial] = status;
  }
  return out;
}

// RFC 3339 as Apple writes it ("2013-09-06T07:00:00Z"), with optional fraction and offset.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;

/**
 * A date field normalised to ISO 8601 UTC (`toISOString`), so stored values compare as
 * strings (sync keeps the latest `op_date` per serial). Apple's dates are UTC; one without an
 * offset is read as UTC, not local time. Unreadable → null.
 */
export function isoDate(object: WireObject, key: string): string | null {
  const value = str(object, key)?.trim();
  if (value === undefined || value === '') return null;
  let text = value;
  if (RFC3339.test(text)) {
    text = text.replace(' ', 'T');
    if (!/([Zz]|[+-]\d{2}:?\d{2})$/.test(text)) text += 'Z';
    text = text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  }
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** Splits `items` into batches of at most `size` (Apple's 1000-serial limit per call). */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
