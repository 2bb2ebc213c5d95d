import type { Kysely } from 'kysely';
import { violationOf } from '../errors.js';
import { decodeCursor, toPage, type Page, type PageRequest } from '../paging.js';
import type { AbmTokensTable, AppleIssue, Database, KeySlot } from '../schema.js';

/** What ABM's `/account` said about the MDM server a token belongs to. */
export interface AbmServer {
  readonly name: string;
  readonly uuid: string;
  readonly orgName: string | null;
  readonly orgEmail: string | null;
  readonly adminId: string | null;
}

interface AbmTokenCommon {
  readonly id: string;
  readonly customerId: string;
  readonly customerName: string;
  readonly siteId: string;
  readonly siteName: string;
  readonly depBaseUrl: string;
  readonly lastSyncAt: string | null;
  readonly lastSyncError: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * A token is either waiting for its file (a key pair, nothing else) or connected (Apple's
 * OAuth credentials, sealed, and the server they belong to). The union keeps code from
 * reading a server name off a token that has none.
 */
export type AbmToken =
  | (AbmTokenCommon & { readonly state: 'awaiting_token' })
  | (AbmTokenCommon & {
      readonly state: 'connected';
      readonly credentialsSecretId: string;
      readonly server: AbmServer;
      readonly expiresAt: string | null;
      readonly connectedAt: string;
      readonly appleIssue: { readonly kind: AppleIssue; readonly detail: string; readonly at: string } | null;
    });

export interface AbmTokenKey {
  readonly id: string;
  readonly slot: KeySlot;
  readonly certificatePem: string;
  readonly privateKeySecretId: string;
  readonly createdAt: string;
}

export interface AbmTokenFilter {
  readonly customerId?: string;
  readonly siteId?: string;
  /** A technician's customers; undefined means all. */
  readonly onlyCustomerIds?: readonly string[];
}

export interface ConnectChange {
  readonly credentialsSecretId: string;
  readonly server: AbmServer;
  readonly expiresAt: string | null;
  /** The key pair that opened the file; a staged pair becomes current and replaces the old one. */
  readonly keyId: string;
  readonly now: string;
}

export interface AbmTokenRepository {
  insert(
    row: { id: string; customerId: string; siteId: string; depBaseUrl: string; now: string },
    key: NewKey,
  ): Promise<void>;
  findById(id: string): Promise<AbmToken | undefined>;
  findByServerUuid(uuid: string): Promise<AbmToken | undefined>;
  /**
   * A keyset page of tokens by customer name, site name, then creation (id breaks ties), the
   * order the token table shows.
   */
  list(filter: AbmTokenFilter, page: PageRequest): Promise<Page<AbmToken>>;
  /** Every connected token's id, for background work that checks or syncs each of them. */
  connectedIds(): Promise<string[]>;
  keys(tokenId: string): Promise<AbmTokenKey[]>;
  /** Replaces any staged key; returns the secret ids no longer referenced. */
  stageKey(tokenId: string, key: NewKey): Promise<string[]>;
  /** Returns 'server_taken' when another token holds the server; else the secret ids now unreferenced. */
  connect(id: string, change: ConnectChange): Promise<{ orphanedSecretIds: string[] } | 'server_taken' | 'not_found'>;
  move(id: string, customerId: string, siteId: string, now: string): Promise<'moved' | 'not_found' | 'site_mismatch'>;
  setAppleIssue(id: string, issue: { kind: AppleIssue; detail: string } | null, now: string): Promise<void>;
  /**
   * The outcome of a device sync: a success sets lastSyncAt and the error to its warning (or
   * none); a failure keeps lastSyncAt and sets the error.
   */
  recordSync(id: string, outcome: SyncOutcome): Promise<void>;
  /** Deletes the token and its keys; returns the secret ids they referenced. */
  delete(id: string): Promise<string[] | 'not_found'>;
  countBySite(siteId: string): Promise<number>;
}

export type SyncOutcome = { ok: true; at: string; warning?: string } | { ok: false; error: string };

export interface NewKey {
  readonly id: string;
  readonly certificatePem: string;
  readonly privateKeySecretId: string;
  readonly now: string;
}

type Row = AbmTokensTable & { customer_name: string; site_name: string };

export class KyselyAbmTokenRepository implements AbmTokenRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private select() {
    return this.db
      .selectFrom('abm_tokens')
      .innerJoin('customers', 'customers.id', 'abm_tokens.customer_id')
      .innerJoin('sites', 'sites.id', 'abm_tokens.site_id')
      .selectAll('abm_tokens')
      .select(['customers.name as customer_name', 'sites.name as site_name']);
  }

  async insert(
    row: { id: string; customerId: string; siteId: string; depBaseUrl: string; now: string },
    key: NewKey,
  ): Promise<void> {
    await this.db
      .insertInto('abm_tokens')
      .values({
        id: row.id,
        customer_id: row.customerId,
        site_id: row.siteId,
        dep_base_url: row.depBaseUrl,
        credentials_secret_id: null,
        server_name: null,
        server_uuid: null,
        org_name: null,
        org_email: null,
        admin_id: null,
        expires_at: null,
        apple_issue: null,
        apple_issue_detail: null,
        apple_issue_at: null,
        connected_at: null,
        last_sync_at: null,
        last_sync_error: null,
        created_at: row.now,
        updated_at: row.now,
      })
      .execute();
    await this.insertKey(row.id, 'current', key);
  }

  private async insertKey(tokenId: string, slot: KeySlot, key: NewKey): Promise<void> {
    await this.db
      .insertInto('abm_token_keys')
      .values({
        id: key.id,
        token_id: tokenId,
        slot,
        certificate_pem: key.certificatePem,
        private_key_secret_id: key.privateKeySecretId,
        created_at: key.now,
      })
      .execute();
  }

  async findById(id: string): Promise<AbmToken | undefined> {
    const row = await this.select().where('abm_tokens.id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toToken(row);
  }

  async findByServerUuid(uuid: string): Promise<AbmToken | undefined> {
    const row = await this.select().where('abm_tokens.server_uuid', '=', uuid).executeTakeFirst();
    return row === undefined ? undefined : toToken(row);
  }

  async list(filter: AbmTokenFilter, page: PageRequest): Promise<Page<AbmToken>> {
    if (filter.onlyCustomerIds !== undefined && filter.onlyCustomerIds.length === 0) return { items: [] };
    let q = this.select()
      .select(['customers.name_key as customer_key', 'sites.name_key as site_key'])
      .orderBy('customers.name_key')
      .orderBy('sites.name_key')
      .orderBy('abm_tokens.created_at')
      .orderBy('abm_tokens.id')
      .limit(page.limit + 1);
    if (filter.customerId !== undefined) q = q.where('abm_tokens.customer_id', '=', filter.customerId);
    if (filter.siteId !== undefined) q = q.where('abm_tokens.site_id', '=', filter.siteId);
    if (filter.onlyCustomerIds !== undefined) q = q.where('abm_tokens.customer_id', 'in', filter.onlyCustomerIds);
    if (page.cursor !== undefined) {
      const [customerKey, siteKey, createdAt, id] = decodeCursor(page.cursor, 4) as [string, string, string, string];
      // A row-value comparison: one term both engines compare in the ORDER BY's own collation.
      q = q.where(({ eb, refTuple, tuple }) =>
        eb(
          refTuple('customers.name_key', 'sites.name_key', 'abm_tokens.created_at', 'abm_tokens.id'),
          '>',
          tuple(customerKey, siteKey, createdAt, id),
        ),
      );
    }
    return toPage(await q.execute(), page.limit, toToken, (r) => [r.customer_key, r.site_key, r.created_at, r.id]);
  }

  async connectedIds(): Promise<string[]> {
    // The check constraint abm_tokens_connected_shape: credentials mean a connected token.
    const rows = await this.db
      .selectFrom('abm_tokens')
      .select('id')
      .where('credentials_secret_id', 'is not', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => r.id);
  }

  async keys(tokenId: string): Promise<AbmTokenKey[]> {
    const rows = await this.db
      .selectFrom('abm_token_keys')
      .selectAll()
      .where('token_id', '=', tokenId)
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      slot: r.slot,
      certificatePem: r.certificate_pem,
      privateKeySecretId: r.private_key_secret_id,
      createdAt: r.created_at,
    }));
  }

  async stageKey(tokenId: string, key: NewKey): Promise<string[]> {
    const old = await this.db
      .selectFrom('abm_token_keys')
      .select('private_key_secret_id')
      .where('token_id', '=', tokenId)
      .where('slot', '=', 'staged')
      .execute();
    await this.db.deleteFrom('abm_token_keys').where('token_id', '=', tokenId).where('slot', '=', 'staged').execute();
    await this.insertKey(tokenId, 'staged', key);
    await this.touch(tokenId, key.now);
    return old.map((r) => r.private_key_secret_id);
  }

  async connect(
    id: string,
    change: ConnectChange,
  ): Promise<{ orphanedSecretIds: string[] } | 'server_taken' | 'not_found'> {
    const before = await this.db
      .selectFrom('abm_tokens')
      .select('credentials_secret_id')
      .where('id', '=', id)
      .executeTakeFirst();
    if (before === undefined) return 'not_found';
    try {
      await this.db
        .updateTable('abm_tokens')
        .set({
          credentials_secret_id: change.credentialsSecretId,
          server_name: change.server.name,
          server_uuid: change.server.uuid,
          org_name: change.server.orgName,
          org_email: change.server.orgEmail,
          admin_id: change.server.adminId,
          expires_at: change.expiresAt,
          apple_issue: null,
          apple_issue_detail: null,
          apple_issue_at: null,
          connected_at: change.now,
          updated_at: change.now,
        })
        .where('id', '=', id)
        .execute();
    } catch (error) {
      if (violationOf(error) === 'unique') return 'server_taken';
      throw error;
    }
    // A staged key that opened the file becomes current and the old current retires; a file
    // for the current key leaves a staged key in place for a later "Replace Certificate".
    const used = await this.db
      .selectFrom('abm_token_keys')
      .select('slot')
      .where('id', '=', change.keyId)
      .executeTakeFirst();
    const retired =
      used?.slot === 'staged'
        ? await this.db
            .selectFrom('abm_token_keys')
            .select('private_key_secret_id')
            .where('token_id', '=', id)
            .where('slot', '=', 'current')
            .execute()
        : [];
    if (used?.slot === 'staged') {
      await this.db.deleteFrom('abm_token_keys').where('token_id', '=', id).where('slot', '=', 'current').execute();
      await this.db.updateTable('abm_token_keys').set({ slot: 'current' }).where('id', '=', change.keyId).execute();
    }
    return {
      orphanedSecretIds: [
        ...retired.map((r) => r.private_key_secret_id),
        ...(before.credentials_secret_id === null ? [] : [before.credentials_secret_id]),
      ],
    };
  }

  async move(
    id: string,
    customerId: string,
    siteId: string,
    now: string,
  ): Promise<'moved' | 'not_found' | 'site_mismatch'> {
    try {
      const result = await this.db
        .updateTable('abm_tokens')
        .set({ customer_id: customerId, site_id: siteId, updated_at: now })
        .where('id', '=', id)
        .executeTakeFirst();
      return result.numUpdatedRows === 0n ? 'not_found' : 'moved';
    } catch (error) {
      if (violationOf(error) === 'foreign_key') return 'site_mismatch';
      throw error;
    }
  }

  async setAppleIssue(id: string, issue: { kind: AppleIssue; detail: string } | null, now: string): Promise<void> {
    await this.db
      .updateTable('abm_tokens')
      .set({
        apple_issue: issue?.kind ?? null,
        apple_issue_detail: issue?.detail ?? null,
        apple_issue_at: issue === null ? null : now,
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
  }

  async recordSync(id: string, outcome: SyncOutcome): Promise<void> {
    // Not updated_at: that says when someone changed the token, not when it last synced.
    await this.db
      .updateTable('abm_tokens')
      .set(
        outcome.ok
          ? { last_sync_at: outcome.at, last_sync_error: outcome.warning ?? null }
          : { last_sync_error: outcome.error },
      )
      .where('id', '=', id)
      .execute();
  }

  async delete(id: string): Promise<string[] | 'not_found'> {
    const token = await this.db
      .selectFrom('abm_tokens')
      .select('credentials_secret_id')
      .where('id', '=', id)
      .executeTakeFirst();
    if (token === undefined) return 'not_found';
    const keys = await this.db
      .selectFrom('abm_token_keys')
      .select('private_key_secret_id')
      .where('token_id', '=', id)
      .execute();
    await this.db.deleteFrom('abm_token_keys').where('token_id', '=', id).execute();
    await this.db.deleteFrom('abm_tokens').where('id', '=', id).execute();
    return [
      ...keys.map((k) => k.private_key_secret_id),
      ...(token.credentials_secret_id === null ? [] : [token.credentials_secret_id]),
    ];
  }

  async countBySite(siteId: string): Promise<number> {
    const row = await this.db
      .selectFrom('abm_tokens')
      .where('site_id', '=', siteId)
      .select((e) => e.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  private async touch(id: string, now: string): Promise<void> {
    await this.db.updateTable('abm_tokens').set({ updated_at: now }).where('id', '=', id).execute();
  }
}

function toToken(row: Row): AbmToken {
  const common: AbmTokenCommon = {
    id: row.id,
    customerId: row.customer_id,
    customerName: row.customer_name,
    siteId: row.site_id,
    siteName: row.site_name,
    depBaseUrl: row.dep_base_url,
    lastSyncAt: row.last_sync_at,
    lastSyncError: row.last_sync_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  // The check constraint guarantees these arrive together.
  // Object.assign, not { ...common, more }: V8 in Node 20 takes a slow path for a spread
  // followed by more properties (about 20 µs a row here), and the token list maps every token.
  if (row.credentials_secret_id === null || row.server_uuid === null || row.connected_at === null) {
    return Object.assign(common, { state: 'awaiting_token' as const });
  }
  return Object.assign(common, {
    state: 'connected' as const,
    credentialsSecretId: row.credentials_secret_id,
    server: {
      name: row.server_name ?? '',
      uuid: row.server_uuid,
      orgName: row.org_name,
      orgEmail: row.org_email,
      adminId: row.admin_id,
    },
    expiresAt: row.expires_at,
    connectedAt: row.connected_at,
    appleIssue:
      row.apple_issue === null
        ? null
        : { kind: row.apple_issue, detail: row.apple_issue_detail ?? '', at: row.apple_issue_at ?? row.updated_at },
  });
}
