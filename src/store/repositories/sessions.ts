import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly lastSeenAt: string;
}

export interface SessionRepository {
  insert(row: { id: string; tokenHash: string; userId: string; now: string; expiresAt: string }): Promise<Session>;
  findLiveByHash(tokenHash: string, now: string): Promise<Session | undefined>;
  extend(id: string, now: string, expiresAt: string): Promise<void>;
  deleteByHash(tokenHash: string): Promise<void>;
  deleteExpired(now: string): Promise<number>;
}

export class KyselySessionRepository implements SessionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: {
    id: string;
    tokenHash: string;
    userId: string;
    now: string;
    expiresAt: string;
  }): Promise<Session> {
    await this.db
      .insertInto('sessions')
      .values({
        id: row.id,
        token_hash: row.tokenHash,
        user_id: row.userId,
        created_at: row.now,
        expires_at: row.expiresAt,
        last_seen_at: row.now,
      })
      .execute();
    return { id: row.id, userId: row.userId, createdAt: row.now, expiresAt: row.expiresAt, lastSeenAt: row.now };
  }

  async findLiveByHash(tokenHash: string, now: string): Promise<Session | undefined> {
    const row = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row === undefined
      ? undefined
      : {
          id: row.id,
          userId: row.user_id,
          createdAt: row.created_at,
          expiresAt: row.expires_at,
          lastSeenAt: row.last_seen_at,
        };
  }

  async extend(id: string, now: string, expiresAt: string): Promise<void> {
    await this.db
      .updateTable('sessions')
      .set({ last_seen_at: now, expires_at: expiresAt })
      .where('id', '=', id)
      .execute();
  }

  async deleteByHash(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
  }

  async deleteExpired(now: string): Promise<number> {
    const result = await this.db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
