import type { Kysely } from 'kysely';
import type { Database, SessionRow } from '../schema.js';

export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly lastSeenAt: string;
  readonly clientAddress: string | null;
  readonly userAgent: string | null;
}

export interface NewSession {
  readonly id: string;
  readonly tokenHash: string;
  readonly userId: string;
  readonly now: string;
  readonly expiresAt: string;
  readonly clientAddress: string | null;
  readonly userAgent: string | null;
}

export interface SessionRepository {
  insert(row: NewSession): Promise<Session>;
  findLiveByHash(tokenHash: string, now: string): Promise<Session | undefined>;
  /** The user's sessions that have not expired, most recently used first. */
  listLive(userId: string, now: string): Promise<Session[]>;
  /** Ends one of the user's sessions; false when the user has no session with that id. */
  deleteOne(userId: string, id: string): Promise<boolean>;
  /** Ends all of the user's sessions but `keepId`'s; returns how many ended. */
  deleteAllOf(userId: string, keepId?: string): Promise<number>;
  extend(id: string, now: string, expiresAt: string): Promise<void>;
  deleteByHash(tokenHash: string): Promise<void>;
  deleteExpired(now: string): Promise<number>;
}

export class KyselySessionRepository implements SessionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: NewSession): Promise<Session> {
    await this.db
      .insertInto('sessions')
      .values({
        id: row.id,
        token_hash: row.tokenHash,
        user_id: row.userId,
        created_at: row.now,
        expires_at: row.expiresAt,
        last_seen_at: row.now,
        client_address: row.clientAddress,
        user_agent: row.userAgent,
      })
      .execute();
    return {
      id: row.id,
      userId: row.userId,
      createdAt: row.now,
      expiresAt: row.expiresAt,
      lastSeenAt: row.now,
      clientAddress: row.clientAddress,
      userAgent: row.userAgent,
    };
  }

  async findLiveByHash(tokenHash: string, now: string): Promise<Session | undefined> {
    const row = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row === undefined ? undefined : toSession(row);
  }

  async listLive(userId: string, now: string): Promise<Session[]> {
    const rows = await this.db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('expires_at', '>', now)
      .orderBy('last_seen_at', 'desc')
      .orderBy('id')
      .execute();
    return rows.map(toSession);
  }

  async deleteOne(userId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('sessions')
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async deleteAllOf(userId: string, keepId?: string): Promise<number> {
    let q = this.db.deleteFrom('sessions').where('user_id', '=', userId);
    if (keepId !== undefined) q = q.where('id', '<>', keepId);
    const result = await q.executeTakeFirst();
    return Number(result.numDeletedRows);
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

function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastSeenAt: row.last_seen_at,
    clientAddress: row.client_address,
    userAgent: row.user_agent,
  };
}
