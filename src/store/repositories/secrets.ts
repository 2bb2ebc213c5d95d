import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface StoredSecret {
  readonly id: string;
  readonly purpose: string;
  readonly sealed: string;
  readonly keyId: string;
}

/** Sealed secrets only: this repository never sees a plaintext. */
export interface SecretRepository {
  insert(row: StoredSecret & { now: string }): Promise<void>;
  findById(id: string): Promise<StoredSecret | undefined>;
  delete(id: string): Promise<boolean>;
  /** Up to `limit` secrets sealed under a key other than `keyId`, in id order after `afterId`. */
  listNotUnderKey(keyId: string, afterId: string, limit: number): Promise<StoredSecret[]>;
  /** Compare-and-swap, so a secret replaced meanwhile is not overwritten with its old value. */
  replaceSealed(
    id: string,
    expectedSealed: string,
    next: { sealed: string; keyId: string; now: string },
  ): Promise<boolean>;
}

export class KyselySecretRepository implements SecretRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: StoredSecret & { now: string }): Promise<void> {
    await this.db
      .insertInto('secrets')
      .values({
        id: row.id,
        purpose: row.purpose,
        sealed: row.sealed,
        key_id: row.keyId,
        created_at: row.now,
        updated_at: row.now,
      })
      .execute();
  }

  async findById(id: string): Promise<StoredSecret | undefined> {
    const row = await this.db
      .selectFrom('secrets')
      .select(['id', 'purpose', 'sealed', 'key_id'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : { id: row.id, purpose: row.purpose, sealed: row.sealed, keyId: row.key_id };
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('secrets').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async listNotUnderKey(keyId: string, afterId: string, limit: number): Promise<StoredSecret[]> {
    const rows = await this.db
      .selectFrom('secrets')
      .select(['id', 'purpose', 'sealed', 'key_id'])
      .where('key_id', '!=', keyId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ id: row.id, purpose: row.purpose, sealed: row.sealed, keyId: row.key_id }));
  }

  async replaceSealed(
    id: string,
    expectedSealed: string,
    next: { sealed: string; keyId: string; now: string },
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('secrets')
      .set({ sealed: next.sealed, key_id: next.keyId, updated_at: next.now })
      .where('id', '=', id)
      .where('sealed', '=', expectedSealed)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}
