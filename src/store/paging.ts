import { ValidationError } from '../domain/errors.js';

export interface Page<T> {
  readonly items: T[];
  /** Absent on the last page. */
  readonly nextCursor?: string;
}

export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/**
 * Keyset cursors: the sort key of the last row seen, so a page costs one index range scan
 * however deep the client has paged, and rows inserted meanwhile neither repeat nor vanish.
 */
export function encodeCursor(parts: readonly string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor(cursor: string, arity: number): string[] {
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // The edge has seen only base64url; a forged cursor could still carry NUL, which
    // PostgreSQL refuses in text (22021). No stored sort key holds one, so no real cursor does.
    if (
      Array.isArray(parts) &&
      parts.length === arity &&
      parts.every((p) => typeof p === 'string' && !p.includes('\u0000'))
    ) {
      return parts as string[];
    }
  } catch {
    // fall through to the error below
  }
  throw new ValidationError('The cursor is not valid. Start again from the first page.', 'cursor');
}

/** Fetch limit + 1 rows; the extra one says whether another page exists. */
export function toPage<Row, T>(rows: Row[], limit: number, map: (row: Row) => T, key: (row: Row) => string[]): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return rows.length > limit && last !== undefined
    ? { items: items.map(map), nextCursor: encodeCursor(key(last)) }
    : { items: items.map(map) };
}
