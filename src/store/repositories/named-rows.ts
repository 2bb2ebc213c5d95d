import { sql, type Kysely } from 'kysely';
import { violationOf } from '../errors.js';
import type { Database } from '../schema.js';

/** Tables whose rows carry a user-given name with a uniqueness key beside it. */
type NamedTable = 'customers' | 'sites';

export async function renameRow(
  db: Kysely<Database>,
  table: NamedTable,
  change: { id: string; name: string; nameKey: string; now: string },
): Promise<'renamed' | 'name_taken' | 'not_found'> {
  try {
    const result = await db
      .updateTable(table)
      .set({ name: change.name, name_key: change.nameKey, updated_at: change.now })
      .where('id', '=', change.id)
      .executeTakeFirst();
    return result.numUpdatedRows === 0n ? 'not_found' : 'renamed';
  } catch (error) {
    if (violationOf(error) === 'unique') return 'name_taken';
    throw error;
  }
}

/**
 * Deletes a row unless something still refers to it. The foreign keys are the source of
 * truth for "something is attached": a count before the delete would race with a child
 * row created in between.
 */
export async function deleteUnreferenced(
  db: Kysely<Database>,
  table: NamedTable,
  id: string,
): Promise<'deleted' | 'not_found' | 'referenced'> {
  // Inside a transaction, the refused delete must not take the transaction down with it
  // (PostgreSQL aborts it): a savepoint lets the caller go on to count what is attached.
  const savepoint = db.isTransaction;
  if (savepoint) await sql`savepoint delete_unreferenced`.execute(db);
  try {
    const result = await db.deleteFrom(table).where('id', '=', id).executeTakeFirst();
    if (savepoint) await sql`release savepoint delete_unreferenced`.execute(db);
    return result.numDeletedRows === 0n ? 'not_found' : 'deleted';
  } catch (error) {
    if (savepoint) await sql`rollback to savepoint delete_unreferenced`.execute(db);
    if (violationOf(error) === 'foreign_key') return 'referenced';
    throw error;
  }
}
