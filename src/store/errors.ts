/**
 * Constraint violations as the repositories report them, whichever engine raised them.
 * SQLite (better-sqlite3) puts the kind in `code` (SQLITE_CONSTRAINT_UNIQUE); PostgreSQL
 * uses SQLSTATE 23505 / 23503.
 */
export type Violation = 'unique' | 'foreign_key';

export function violationOf(error: unknown): Violation | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505') return 'unique';
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503') return 'foreign_key';
  return undefined;
}
