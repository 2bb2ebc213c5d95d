/**
 * `X-ADM-Auth-Session` tokens. Apple publishes no lifetime; clients must re-authenticate on
 * 401 and take any new token Apple sends in a response header. The sandbox makes both happen
 * in ordinary use: sessions last an hour of sandbox time, and a session older than a few
 * minutes gets a successor in the response header (the old one keeps working until it expires).
 */
import { randomBytes } from 'node:crypto';
import type { SandboxDb } from './db.js';

export const SESSION_LIFETIME_MS = 60 * 60 * 1000;
export const SESSION_ROTATE_AFTER_MS = 5 * 60 * 1000;

export interface SessionRecord {
  readonly token: string;
  readonly serverId: string;
  readonly accessToken: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

interface SessionRow {
  token: string;
  server_id: string;
  access_token: string;
  created_at: number;
  expires_at: number;
}

export class SessionStore {
  constructor(private readonly db: SandboxDb) {}

  create(serverId: string, accessToken: string, nowMs: number): SessionRecord {
    // Shaped like Apple's: "<ms>O<n>O<hex>", opaque to clients either way.
    const token = `${nowMs}O1O${randomBytes(24).toString('hex').toUpperCase()}`;
    const record: SessionRecord = {
      token,
      serverId,
      accessToken,
      createdAt: nowMs,
      expiresAt: nowMs + SESSION_LIFETIME_MS,
    };
    this.db
      .prepare('INSERT INTO sessions (token, server_id, access_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(token, serverId, accessToken, record.createdAt, record.expiresAt);
    // Keep the table small: sessions a day past expiry can go.
    this.db.prepare('DELETE FROM sessions WHERE expires_at < ?').run(nowMs - 24 * 60 * 60 * 1000);
    return record;
  }

  find(token: string): SessionRecord | undefined {
    const row = this.db.prepare('SELECT * FROM sessions WHERE token = ?').get(token) as SessionRow | undefined;
    if (row === undefined) return undefined;
    return {
      token: row.token,
      serverId: row.server_id,
      accessToken: row.access_token,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    };
  }

  /** The "expire all sessions now" fault: the next call with any of them answers 401. */
  expireAll(serverId: string, nowMs: number): number {
    return this.db
      .prepare('UPDATE sessions SET expires_at = ? WHERE server_id = ? AND expires_at > ?')
      .run(nowMs, serverId, nowMs).changes;
  }
}
