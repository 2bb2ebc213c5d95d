/**
 * MDM servers as ABM keeps them ("Preferences › MDM Server Assignment"): a name, the uploaded
 * certificate, a `server_uuid` that stays the same across token renewals, and the tokens
 * downloaded for it. Downloading a token supersedes the previous one at once, as in ABM.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { SandboxDb } from './db.js';
import type { OAuthCredentials } from './token-issuer.js';

export interface ServerRecord {
  readonly id: string;
  readonly name: string;
  readonly serverUuid: string;
  readonly certificatePem: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface TokenRecord {
  readonly accessToken: string;
  readonly serverId: string;
  readonly consumerKey: string;
  readonly consumerSecret: string;
  readonly accessSecret: string;
  readonly adminId: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly supersededAt: number | null;
}

export interface ServerSummary extends ServerRecord {
  readonly deviceCount: number;
  readonly token: { readonly issuedAt: number; readonly expiresAt: number } | null;
}

export class DuplicateServerNameError extends Error {
  constructor(name: string) {
    super(`An MDM server named "${name}" already exists. Choose a different name.`);
    this.name = 'DuplicateServerNameError';
  }
}

interface ServerRow {
  id: string;
  name: string;
  server_uuid: string;
  certificate_pem: string;
  created_at: number;
  updated_at: number;
}

interface TokenRow {
  access_token: string;
  server_id: string;
  consumer_key: string;
  consumer_secret: string;
  access_secret: string;
  admin_id: string;
  issued_at: number;
  expires_at: number;
  superseded_at: number | null;
}

function toServer(row: ServerRow): ServerRecord {
  return {
    id: row.id,
    name: row.name,
    serverUuid: row.server_uuid,
    certificatePem: row.certificate_pem,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toToken(row: TokenRow): TokenRecord {
  return {
    accessToken: row.access_token,
    serverId: row.server_id,
    consumerKey: row.consumer_key,
    consumerSecret: row.consumer_secret,
    accessSecret: row.access_secret,
    adminId: row.admin_id,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    supersededAt: row.superseded_at,
  };
}

export class ServerStore {
  constructor(private readonly db: SandboxDb) {}

  create(name: string, certificatePem: string, nowMs: number): ServerRecord {
    const row: ServerRow = {
      id: randomBytes(8).toString('hex'),
      name,
      server_uuid: randomUUID(),
      certificate_pem: certificatePem,
      created_at: nowMs,
      updated_at: nowMs,
    };
    try {
      this.db
        .prepare(
          'INSERT INTO servers (id, name, server_uuid, certificate_pem, created_at, updated_at) VALUES (@id, @name, @server_uuid, @certificate_pem, @created_at, @updated_at)',
        )
        .run(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateServerNameError(name);
      throw error;
    }
    return toServer(row);
  }

  get(id: string): ServerRecord | undefined {
    const row = this.db.prepare('SELECT * FROM servers WHERE id = ?').get(id) as ServerRow | undefined;
    return row === undefined ? undefined : toServer(row);
  }

  list(): ServerSummary[] {
    const servers = this.db.prepare('SELECT * FROM servers ORDER BY created_at, id').all() as ServerRow[];
    const count = this.db.prepare('SELECT count(*) AS n FROM devices WHERE server_id = ?');
    return servers.map((row) => {
      const current = this.currentToken(row.id);
      return {
        ...toServer(row),
        deviceCount: (count.get(row.id) as { n: number }).n,
        token: current === undefined ? null : { issuedAt: current.issuedAt, expiresAt: current.expiresAt },
      };
    });
  }

  /** "Replace Certificate" (renewal with a new key pair): the current token stays valid. */
  replaceCertificate(id: string, certificatePem: string, nowMs: number): boolean {
    return (
      this.db
        .prepare('UPDATE servers SET certificate_pem = ?, updated_at = ? WHERE id = ?')
        .run(certificatePem, nowMs, id).changes === 1
    );
  }

  /** Releases the server's devices (they become unassigned in the organisation), then deletes it. */
  delete(id: string): boolean {
    return this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE devices SET server_id = NULL, assign_seq = NULL, assigned_at = NULL, assigned_by = NULL,
             profile_uuid = NULL, profile_status = 'empty', profile_assign_time = NULL, profile_push_time = NULL
           WHERE server_id = ?`,
        )
        .run(id);
      this.db.prepare('DELETE FROM changes WHERE server_id = ?').run(id);
      return this.db.prepare('DELETE FROM servers WHERE id = ?').run(id).changes === 1;
    })();
  }

  /** Stores a freshly downloaded token and supersedes every earlier one of the server. */
  issueToken(serverId: string, credentials: OAuthCredentials, adminId: string, nowMs: number): TokenRecord {
    const row: TokenRow = {
      access_token: credentials.accessToken,
      server_id: serverId,
      consumer_key: credentials.consumerKey,
      consumer_secret: credentials.consumerSecret,
      access_secret: credentials.accessSecret,
      admin_id: adminId,
      issued_at: nowMs,
      expires_at: credentials.accessTokenExpiry.getTime(),
      superseded_at: null,
    };
    this.db.transaction(() => {
      this.db
        .prepare('UPDATE tokens SET superseded_at = ? WHERE server_id = ? AND superseded_at IS NULL')
        .run(nowMs, serverId);
      this.db
        .prepare(
          `INSERT INTO tokens (access_token, server_id, consumer_key, consumer_secret, access_secret, admin_id, issued_at, expires_at, superseded_at)
           VALUES (@access_token, @server_id, @consumer_key, @consumer_secret, @access_secret, @admin_id, @issued_at, @expires_at, @superseded_at)`,
        )
        .run(row);
    })();
    return toToken(row);
  }

  findToken(accessToken: string): TokenRecord | undefined {
    const row = this.db.prepare('SELECT * FROM tokens WHERE access_token = ?').get(accessToken) as TokenRow | undefined;
    return row === undefined ? undefined : toToken(row);
  }

  currentToken(serverId: string): TokenRecord | undefined {
    const row = this.db
      .prepare('SELECT * FROM tokens WHERE server_id = ? AND superseded_at IS NULL ORDER BY issued_at DESC LIMIT 1')
      .get(serverId) as TokenRow | undefined;
    return row === undefined ? undefined : toToken(row);
  }
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && 'code' in error && (error as { code: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}
