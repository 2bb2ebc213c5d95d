/**
 * Constraint violations as the repositories report them, whichever engine raised them.
 * PostgreSQL uses SQLSTATE 23505 / 23503. SQLite (better-sqlite3) puts an extended code in
 * `code`, but not a reliable one: a foreign key violated by a DELETE comes back as
 * SQLITE_CONSTRAINT_TRIGGER, so foreign keys are recognised by their message too.
 */
export type Violation = 'unique' | 'foreign_key';

export function violationOf(error: unknown): Violation | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = String((error as { code: unknown }).code);
  const message = error instanceof Error ? error.message : '';
  if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
    return 'unique';
  if (code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'foreign_key';
  if (code.startsWith('SQLITE_CONSTRAINT') && message.includes('FOREIGN KEY')) return 'foreign_key';
  return undefined;
}
