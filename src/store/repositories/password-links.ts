import type { Kysely } from 'kysely';
import { inTransaction } from '../db.js';
import type { Database, PasswordLinkPurpose } from '../schema.js';

export interface PasswordLink {
  readonly id: string;
  readonly userId: string;
  readonly purpose: PasswordLinkPurpose;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export interface PasswordLinkRepository {
  /** Stores the link and drops any earlier one of the user's: only the newest link works. */
  replace(row: PasswordLink & { readonly tokenHash: string }): Promise<void>;
  findLiveByHash(tokenHash: string, now: string): Promise<PasswordLink | undefined>;
  /** Consumes the link: true for the one caller that deleted it, so a link sets a password once. */
  take(id: string): Promise<boolean>;
  deleteAllOf(userId: string): Promise<void>;
  deleteExpired(now: string): Promise<number>;
}

export class KyselyPasswordLinkRepository implements PasswordLinkRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async replace(row: PasswordLink & { readonly tokenHash: string }): Promise<void> {
    await inTransaction(this.db, async (tx) => {
      await tx.deleteFrom('password_links').where('user_id', '=', row.userId).execute();
      await tx
        .insertInto('password_links')
        .values({
          id: row.id,
          user_id: row.userId,
          token_hash: row.tokenHash,
          purpose: row.purpose,
          created_at: row.createdAt,
          expires_at: row.expiresAt,
        })
        .execute();
    });
  }

  async findLiveByHash(tokenHash: string, now: string): Promise<PasswordLink | undefined> {
    const row = await this.db
      .selectFrom('password_links')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row === undefined
      ? undefined
      : {
          id: row.id,
          userId: row.user_id,
          purpose: row.purpose,
          createdAt: row.created_at,
          expiresAt: row.expires_at,
        };
  }

  async take(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('password_links').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async deleteAllOf(userId: string): Promise<void> {
    await this.db.deleteFrom('password_links').where('user_id', '=', userId).execute();
  }

  async deleteExpired(now: string): Promise<number> {
    const result = await this.db.deleteFrom('password_links').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
