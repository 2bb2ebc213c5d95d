import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { Database, SyncPhase, SyncStatesTable } from '../schema.js';

/** Where a token's device sync stands, and who (which Orchard process) is running it. */
export interface SyncState {
  readonly tokenId: string;
  readonly phase: SyncPhase;
  /** null in phase fetch: a full fetch from the start is due. */
  readonly cursor: string | null;
  /** The full fetch the cursor belongs to (devices it returned carry this id). */
  readonly fetchRun: string | null;
  readonly nextRunAt: string;
  readonly requestedAt: string | null;
  readonly leaseOwner: string | null;
  readonly leaseUntil: string | null;
  readonly runStartedAt: string | null;
  readonly runFinishedAt: string | null;
  readonly pages: number;
  readonly devices: number;
  readonly failures: number;
}

/** The cursor to persist with a page, and the progress it adds. */
export interface PageCommit {
  readonly phase: SyncPhase;
  readonly cursor: string | null;
  readonly fetchRun: string | null;
  readonly devices: number;
}

export interface Lease {
  readonly tokenId: string;
  readonly owner: string;
}

export interface SyncStateRepository {
  /** Rows for connected tokens that have none yet, due at once. Returns how many were added. */
  ensureForConnectedTokens(now: string): Promise<number>;
  /** Makes a run due now (on demand, after upload, after a profile change); creates the row if needed. */
  request(tokenId: string, now: string): Promise<void>;
  find(tokenId: string): Promise<SyncState | undefined>;
  findMany(tokenIds: readonly string[]): Promise<Map<string, SyncState>>;
  /**
   * Claims up to `limit` due tokens whose lease is free or expired, with an atomic
   * conditional update each, so two processes never hold one token. Progress restarts.
   */
  claimDue(owner: string, now: string, leaseUntil: string, limit: number): Promise<string[]>;
  /** Claims one token whatever its schedule (tests, CLI); false when another holds it. */
  claim(tokenId: string, owner: string, now: string, leaseUntil: string): Promise<boolean>;
  /**
   * Whether the lease is still ours, held so until the transaction ends: on PostgreSQL the row
   * is locked `FOR KEY SHARE`, which a takeover waits for but a page commit or renewal does not
   * (migration 0007). For writes beside the pages (assignment outcomes) that must not queue
   * behind them.
   */
  holds(lease: Lease): Promise<boolean>;
  /** Extends the lease; false when it is no longer ours (expired and taken, or the token deleted). */
  renew(lease: Lease, now: string, leaseUntil: string): Promise<boolean>;
  /**
   * Stores a page's cursor and progress and extends the lease, only while the lease is ours.
   * Called first in each page's transaction: it also fences (and, on PostgreSQL, row-locks)
   * the token against a delete or move running at the same time.
   */
  commitPage(lease: Lease, page: PageCommit, now: string, leaseUntil: string): Promise<boolean>;
  /** Ends the run: schedule the next one and let the lease go. A request made during the run makes it due at once. */
  finish(lease: Lease, outcome: { ok: boolean; nextRunAt: string; now: string }): Promise<void>;
  /** Locks the row (a no-op update) so a running page waits for, or sees, the caller's transaction. */
  touch(tokenId: string, now: string): Promise<void>;
  /** Everything about the cursor forgotten: the next run fetches all devices again. */
  resetCursor(tokenId: string, now: string): Promise<void>;
}

type Row = SyncStatesTable & { pages: number; devices: number; failures: number };

export class KyselySyncStateRepository implements SyncStateRepository {
  private readonly postgres: boolean;

  constructor(private readonly db: Kysely<Database>) {
    this.postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  }

  async ensureForConnectedTokens(now: string): Promise<number> {
    const result = await this.db
      .insertInto('sync_states')
      .columns(['token_id', 'phase', 'next_run_at', 'created_at', 'updated_at'])
      .expression((eb) =>
        eb
          .selectFrom('abm_tokens')
          .select([
            'abm_tokens.id',
            sql.lit('fetch').as('phase'),
            sql.val(now).as('next_run_at'),
            sql.val(now).as('created_at'),
            sql.val(now).as('updated_at'),
          ])
          .where('abm_tokens.credentials_secret_id', 'is not', null)
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('sync_states').select('token_id').whereRef('sync_states.token_id', '=', 'abm_tokens.id'),
              ),
            ),
          ),
      )
      .onConflict((oc) => oc.column('token_id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n);
  }

  async request(tokenId: string, now: string): Promise<void> {
    await this.db
      .insertInto('sync_states')
      .values({
        token_id: tokenId,
        phase: 'fetch',
        next_run_at: now,
        requested_at: now,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.column('token_id').doUpdateSet({ next_run_at: now, requested_at: now, failures: 0, updated_at: now }),
      )
      .execute();
  }

  async find(tokenId: string): Promise<SyncState | undefined> {
    const row = await this.db.selectFrom('sync_states').selectAll().where('token_id', '=', tokenId).executeTakeFirst();
    return row === undefined ? undefined : toState(row as Row);
  }

  async findMany(tokenIds: readonly string[]): Promise<Map<string, SyncState>> {
    const out = new Map<string, SyncState>();
    if (tokenIds.length === 0) return out;
    const rows = await this.db.selectFrom('sync_states').selectAll().where('token_id', 'in', tokenIds).execute();
    for (const row of rows) out.set(row.token_id, toState(row as Row));
    return out;
  }

  async claimDue(owner: string, now: string, leaseUntil: string, limit: number): Promise<string[]> {
    const due = await this.db
      .selectFrom('sync_states')
      .select('token_id')
      .where('next_run_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('next_run_at')
      .limit(limit)
      .execute();
    const claimed: string[] = [];
    for (const { token_id } of due) {
      if (await this.claimIf(token_id, owner, now, leaseUntil, true)) claimed.push(token_id);
    }
    return claimed;
  }

  claim(tokenId: string, owner: string, now: string, leaseUntil: string): Promise<boolean> {
    return this.claimIf(tokenId, owner, now, leaseUntil, false);
  }

  private async claimIf(
    tokenId: string,
    owner: string,
    now: string,
    leaseUntil: string,
    onlyIfDue: boolean,
  ): Promise<boolean> {
    // The WHERE is re-checked under the row lock (PostgreSQL) or inside SQLite's single
    // writer: of two processes claiming at once, exactly one sees the lease still free.
    let q = this.db
      .updateTable('sync_states')
      .set({
        lease_owner: owner,
        lease_until: leaseUntil,
        requested_at: null,
        run_started_at: now,
        pages: 0,
        devices: 0,
        updated_at: now,
      })
      .where('token_id', '=', tokenId)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]));
    if (onlyIfDue) q = q.where('next_run_at', '<=', now);
    const result = await q.executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async holds(lease: Lease): Promise<boolean> {
    let q = this.db
      .selectFrom('sync_states')
      .select('token_id')
      .where('token_id', '=', lease.tokenId)
      .where('lease_owner', '=', lease.owner);
    if (this.postgres) q = q.forKeyShare();
    return (await q.executeTakeFirst()) !== undefined;
  }

  async renew(lease: Lease, now: string, leaseUntil: string): Promise<boolean> {
    const result = await this.db
      .updateTable('sync_states')
      .set({ lease_until: leaseUntil, updated_at: now })
      .where('token_id', '=', lease.tokenId)
      .where('lease_owner', '=', lease.owner)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async commitPage(lease: Lease, page: PageCommit, now: string, leaseUntil: string): Promise<boolean> {
    const result = await this.db
      .updateTable('sync_states')
      .set((eb) => ({
        phase: page.phase,
        cursor: page.cursor,
        fetch_run: page.fetchRun,
        lease_until: leaseUntil,
        pages: eb('pages', '+', 1),
        devices: eb('devices', '+', page.devices),
        updated_at: now,
      }))
      .where('token_id', '=', lease.tokenId)
      .where('lease_owner', '=', lease.owner)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async finish(lease: Lease, outcome: { ok: boolean; nextRunAt: string; now: string }): Promise<void> {
    await this.db
      .updateTable('sync_states')
      .set((eb) => ({
        lease_owner: null,
        lease_until: null,
        run_finished_at: outcome.now,
        // Asked for again while running: the change the user made may have come too late for this run.
        next_run_at: eb.case().when('requested_at', 'is not', null).then(outcome.now).else(outcome.nextRunAt).end(),
        failures: outcome.ok ? 0 : eb('failures', '+', 1),
        updated_at: outcome.now,
      }))
      .where('token_id', '=', lease.tokenId)
      .where('lease_owner', '=', lease.owner)
      .execute();
  }

  async touch(tokenId: string, now: string): Promise<void> {
    await this.db.updateTable('sync_states').set({ updated_at: now }).where('token_id', '=', tokenId).execute();
  }

  async resetCursor(tokenId: string, now: string): Promise<void> {
    await this.db
      .updateTable('sync_states')
      .set({ phase: 'fetch', cursor: null, fetch_run: null, updated_at: now })
      .where('token_id', '=', tokenId)
      .execute();
  }
}

function toState(row: Row): SyncState {
  return {
    tokenId: row.token_id,
    phase: row.phase,
    cursor: row.cursor,
    fetchRun: row.fetch_run,
    nextRunAt: row.next_run_at,
    requestedAt: row.requested_at,
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until,
    runStartedAt: row.run_started_at,
    runFinishedAt: row.run_finished_at,
    pages: Number(row.pages),
    devices: Number(row.devices),
    failures: Number(row.failures),
  };
}
