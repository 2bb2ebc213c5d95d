/**
 * DEP enrollment profiles. A profile UUID exists only inside the MDM server (token) that
 * defined it: another server asking for it gets PROFILE_NOT_FOUND, as from Apple.
 */
import { randomBytes } from 'node:crypto';
import type { SandboxDb } from './db.js';

export interface ProfileRecord {
  readonly uuid: string;
  readonly serverId: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
}

export class ProfileStore {
  constructor(private readonly db: SandboxDb) {}

  create(serverId: string, settings: Readonly<Record<string, unknown>>, nowMs: number): ProfileRecord {
    // Apple's profile UUIDs are 32 upper-case hex digits without dashes.
    const uuid = randomBytes(16).toString('hex').toUpperCase();
    this.db
      .prepare('INSERT INTO profiles (uuid, server_id, settings, created_at) VALUES (?, ?, ?, ?)')
      .run(uuid, serverId, JSON.stringify(settings), nowMs);
    return { uuid, serverId, settings, createdAt: nowMs };
  }

  /** The profile if it belongs to `serverId`. */
  find(serverId: string, uuid: string): ProfileRecord | undefined {
    const row = this.db.prepare('SELECT * FROM profiles WHERE uuid = ? AND server_id = ?').get(uuid, serverId) as
      { uuid: string; server_id: string; settings: string; created_at: number } | undefined;
    if (row === undefined) return undefined;
    return {
      uuid: row.uuid,
      serverId: row.server_id,
      settings: JSON.parse(row.settings) as Record<string, unknown>,
      createdAt: row.created_at,
    };
  }
}
