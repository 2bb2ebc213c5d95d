/**
 * Every write the sync makes to devices, and the moves that follow a token. This is the one
 * owner of the sync's rules (apple-protocols.md §2), written as set-based SQL so that they
 * hold atomically across tokens, whatever another token's sync writes at the same moment:
 *
 * - Within a page the latest `op_date` per serial wins; a tie goes to the later entry (Apple
 *   can repeat a device within a sync, not always in order).
 * - A stored device is overwritten only by news at least as recent (`op_date` ≥ the stored
 *   one; a full fetch, with no `op_date`, is the present), so a stale `modified` from another
 *   token's feed cannot move a device back.
 * - `deleted` marks a device removed (kept, with Apple's date) only while it belongs to this
 *   token: after a move, the old server's `deleted` must not remove it from the new one. A
 *   `deleted` for a device never seen stores nothing.
 * - Anything else is an upsert under this token, its customer and site — which is how a device
 *   moved from another token follows — unless it has no profile status while another token
 *   holds it: Apple reports a device assigned to the asking server with a status (`empty` at
 *   least), so such a change is about a device that has since left. This, not `op_date`
 *   (whole seconds), settles moves made within one second, whichever feed is read first.
 * - The device needs the token's profile unless Apple reports ours already, or Apple refused
 *   it recently for this token (FAILED / NOT_ACCESSIBLE wait out their cool-down).
 *
 * A page is written by two statements (upsert, removal) reading the whole page as one JSON
 * parameter: one statement text per engine, prepared once, whatever the page size.
 */
import { PostgresAdapter, sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Device } from '../../apple/dep/index.js';
import type { Database, EnrollmentState, ProfileAssignStatus } from '../schema.js';

/** Where one page's devices go, and what the sync knows while writing it. */
export interface PageTarget {
  readonly tokenId: string;
  readonly customerId: string;
  readonly siteId: string;
  /** The token's profile as Apple holds it now; null before the first definition. */
  readonly profileUuid: string | null;
  /** The full fetch this page belongs to (or the last one, during incremental sync). */
  readonly fetchRun: string | null;
  readonly now: string;
}

export interface PageWritten {
  /** Devices inserted or updated. */
  readonly stored: number;
  readonly removed: number;
  /** Of those, the ones now waiting for the token's profile, for the assigner. */
  readonly waiting: readonly string[];
}

/** The outcome of one assignment attempt for one device. */
export type AssignOutcome =
  | { readonly serialNumber: string; readonly status: 'assigned' }
  | { readonly serialNumber: string; readonly status: 'failed' | 'not_accessible'; readonly error: string };

export interface DeviceWriteRepository {
  /** Applies one page from Apple under the rules above. */
  applyPage(target: PageTarget, devices: readonly Device[]): Promise<PageWritten>;
  /**
   * Which of these serials the token already holds as current devices (read before a page, for
   * `device.added`: a device new to Orchard, moved in from another token, or back in ABM).
   */
  heldSerials(tokenId: string, serials: readonly string[]): Promise<Set<string>>;
  /** After a full fetch: the token's current devices that fetch did not return are gone from ABM. */
  markUnseenRemoved(tokenId: string, fetchRun: string, now: string): Promise<number>;
  /**
   * The profile was defined anew: the token's current devices not carrying it need it. One
   * window of `limit` devices (by serial, after `after`) per call, so no statement runs long;
   * `next` is where the following window starts, null after the last.
   */
  requireProfile(
    tokenId: string,
    profileUuid: string,
    now: string,
    window: { after: string; limit: number },
  ): Promise<{ changed: number; next: string | null }>;
  /** Devices of the token waiting for its profile: pending, or refused and past their cool-down. */
  pendingAssignment(tokenId: string, now: string, limit: number): Promise<string[]>;
  recordAssignments(
    tokenId: string,
    outcomes: readonly AssignOutcome[],
    change: { profileUuid: string; now: string; retryAt: string },
  ): Promise<void>;
  /** The token moved: its devices follow it to the new customer and site. */
  followToken(tokenId: string, customerId: string, siteId: string, now: string): Promise<number>;
  /** The token is being deleted: its devices are kept, marked released, with no token. */
  releaseToken(tokenId: string, now: string): Promise<number>;
}

/**
 * While a device is in ABM, its state follows what MDM said about it: the one place that
 * mapping is written (sync upserts and enrollment updates both use it).
 */
export const enrollmentStateFromMdm = sql<EnrollmentState>`case devices.mdm_enrollment when 'enrolling' then 'enrolling' when 'enrolled' then 'enrolled' when 'unenrolled' then 'unenrolled' else 'awaiting_enrollment' end`;

/** A pending assignment is moot once the device has left its token; a past outcome is kept. */
const dropPending = sql<ProfileAssignStatus | null>`case when devices.profile_assign_status = 'pending' then null else devices.profile_assign_status end`;

/** The fields each page row carries, in order: its place in the page, then Apple's Device. */
const PAGE_COLUMNS = [
  'ord',
  'serial_number',
  'model',
  'description',
  'color',
  'asset_tag',
  'os',
  'device_family',
  'profile_status',
  'profile_uuid',
  'profile_assign_time',
  'profile_push_time',
  'device_assigned_date',
  'device_assigned_by',
  'op_type',
  'op_date',
] as const;

function pageRows(entries: ReadonlyArray<{ device: Device; ord: number }>): string {
  return JSON.stringify(
    entries.map(({ device: d, ord }) => [
      ord,
      d.serialNumber,
      d.model,
      d.description,
      d.color,
      d.assetTag,
      d.os,
      d.deviceFamily,
      d.profileStatus,
      d.profileUuid,
      d.profileAssignTime,
      d.profilePushTime,
      d.deviceAssignedDate,
      d.deviceAssignedBy,
      d.opType,
      d.opDate,
    ]),
  );
}

export class KyselyDeviceWriteRepository implements DeviceWriteRepository {
  private readonly postgres: boolean;

  constructor(private readonly db: Kysely<Database>) {
    this.postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  }

  /**
   * The page as rows, then the latest entry per serial. JSON because it binds as one value on
   * both engines (SQLite allows 32,766 parameters per statement; a page has 15,000 values).
   */
  private latest(page: string): RawBuilder<unknown> {
    const fields = PAGE_COLUMNS.map((column, i) => `${this.postgres ? 'e' : 'value'} ->> ${i} as ${column}`).join(', ');
    const incoming = this.postgres
      ? sql`select ${sql.raw(fields)} from jsonb_array_elements(cast(${page} as jsonb)) as t(e)`
      : sql`select ${sql.raw(fields)} from json_each(${page})`;
    return sql`incoming as (${incoming}),
      latest as (
        select incoming.*, row_number() over (
          partition by serial_number order by coalesce(op_date, '') desc, cast(ord as integer) desc) as recency
        from incoming)`;
  }

  /**
   * The whole page in one statement per kind, on both engines: SQLite's writer works on a thread
   * of its own (store/sqlite-dialect.ts), so a page's write holds no request up.
   */
  async applyPage(target: PageTarget, devices: readonly Device[]): Promise<PageWritten> {
    if (devices.length === 0) return { stored: 0, removed: 0, waiting: [] };
    const entries = devices.map((device, ord) => ({ device, ord }));
    const page = pageRows(entries);
    const text = (value: string | null) => sql`cast(${value} as text)`;
    const now = text(target.now);
    const token = text(target.tokenId);
    const profile = text(target.profileUuid);
    let stored: ReadonlyArray<{ serial_number: string; profile_assign_status: string | null }> = [];
    let removed = 0;
    if (entries.some((e) => e.device.opType !== 'deleted')) {
      const result = await sql<{ serial_number: string; profile_assign_status: string | null }>`
        with ${this.latest(page)}
        insert into devices (
          serial_number, abm_token_id, customer_id, site_id, model, description, color, asset_tag, os,
          device_family, profile_status, profile_uuid, profile_assign_time, profile_push_time,
          device_assigned_date, device_assigned_by, op_date, op_type, fetch_run, profile_assign_status,
          profile_assign_error, profile_retry_at, enrollment_state, created_at, updated_at)
        select serial_number, ${token}, ${text(target.customerId)}, ${text(target.siteId)}, model, description,
          color, asset_tag, os, device_family,
          case when profile_status in ('empty', 'assigned', 'pushed', 'removed') then profile_status end,
          profile_uuid, profile_assign_time, profile_push_time, device_assigned_date, device_assigned_by,
          op_date, op_type, ${text(target.fetchRun)},
          case when ${profile} is not null and profile_uuid = ${profile}
            and profile_status in ('assigned', 'pushed') then 'assigned' else 'pending' end,
          null, null, 'awaiting_enrollment', ${now}, ${now}
        from latest
        where recency = 1 and coalesce(op_type, '') <> 'deleted'
        order by serial_number
        on conflict (serial_number) do update set
          abm_token_id = excluded.abm_token_id,
          customer_id = excluded.customer_id,
          site_id = excluded.site_id,
          model = excluded.model,
          description = excluded.description,
          color = excluded.color,
          asset_tag = excluded.asset_tag,
          os = excluded.os,
          device_family = excluded.device_family,
          profile_status = excluded.profile_status,
          profile_uuid = excluded.profile_uuid,
          profile_assign_time = excluded.profile_assign_time,
          profile_push_time = excluded.profile_push_time,
          device_assigned_date = excluded.device_assigned_date,
          device_assigned_by = excluded.device_assigned_by,
          op_date = coalesce(excluded.op_date, devices.op_date),
          op_type = excluded.op_type,
          fetch_run = excluded.fetch_run,
          profile_assign_status = case
            when excluded.profile_assign_status = 'assigned' then 'assigned'
            when ${this.coolingDown(now)} then devices.profile_assign_status
            else 'pending' end,
          profile_assign_error = case
            when excluded.profile_assign_status <> 'assigned' and ${this.coolingDown(now)}
            then devices.profile_assign_error end,
          profile_retry_at = case
            when excluded.profile_assign_status <> 'assigned' and ${this.coolingDown(now)}
            then devices.profile_retry_at end,
          -- Back in ABM (or still there): the state follows what MDM said about it.
          enrollment_state = ${enrollmentStateFromMdm},
          removed_at = null,
          released_at = null,
          updated_at = excluded.updated_at
        where (devices.op_date is null or excluded.op_date is null or excluded.op_date >= devices.op_date)
          and (excluded.profile_status is not null or devices.abm_token_id is null
            or devices.abm_token_id = excluded.abm_token_id or devices.removed_at is not null)
        returning serial_number, profile_assign_status
      `.execute(this.db);
      stored = result.rows;
    }
    if (entries.some((e) => e.device.opType === 'deleted')) {
      const result = await sql`
        with ${this.latest(page)}
        update devices set
          enrollment_state = 'removed',
          removed_at = coalesce(latest.op_date, ${now}),
          op_date = coalesce(latest.op_date, devices.op_date),
          op_type = 'deleted',
          profile_assign_status = ${dropPending},
          updated_at = ${now}
        from latest
        where latest.recency = 1 and latest.op_type = 'deleted' and devices.serial_number = latest.serial_number
          and devices.abm_token_id = ${token} and devices.removed_at is null
          and (latest.op_date is null or devices.op_date is null or devices.op_date <= latest.op_date)
      `.execute(this.db);
      removed = Number(result.numAffectedRows ?? 0);
    }
    return {
      stored: stored.length,
      removed,
      waiting: stored.filter((r) => r.profile_assign_status === 'pending').map((r) => r.serial_number),
    };
  }

  /** The stored device was refused for this very token and its cool-down has not passed. */
  private coolingDown(now: RawBuilder<unknown>): RawBuilder<unknown> {
    return sql`(devices.abm_token_id = excluded.abm_token_id
      and devices.profile_assign_status in ('failed', 'not_accessible') and devices.profile_retry_at > ${now})`;
  }

  /**
   * `serial_number` is one of these, bound as one parameter: one statement text whatever the
   * count. A list of 1,000 parameters beside `abm_token_id = ?` let PostgreSQL, before it had
   * statistics for a freshly synced token, read all of the token's devices through (token,
   * serial) for every batch of 1,000, which made a sync quadratic. A set read from JSON in a
   * subquery was worse: PostgreSQL sometimes re-read the JSON for every device of the token,
   * 2–3 s per batch (`bench/sync-kill.ts`). `= any(array)` is a primary-key lookup per serial
   * to PostgreSQL's planner, whatever it knows; SQLite reads the JSON once.
   */
  private serialIn(serials: readonly string[]): RawBuilder<SqlBool> {
    return this.postgres
      ? sql<SqlBool>`devices.serial_number = any(cast(${[...serials]} as text[]))`
      : sql<SqlBool>`devices.serial_number in (select value from json_each(${JSON.stringify(serials)}))`;
  }

  async heldSerials(tokenId: string, serials: readonly string[]): Promise<Set<string>> {
    if (serials.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('devices')
      .select('serial_number')
      .where(this.serialIn(serials))
      .where('abm_token_id', '=', tokenId)
      .where('removed_at', 'is', null)
      .execute();
    return new Set(rows.map((r) => r.serial_number));
  }

  async markUnseenRemoved(tokenId: string, fetchRun: string, now: string): Promise<number> {
    const result = await this.db
      .updateTable('devices')
      .set({
        enrollment_state: 'removed',
        removed_at: now,
        profile_assign_status: dropPending,
        updated_at: now,
      })
      .where('abm_token_id', '=', tokenId)
      .where('removed_at', 'is', null)
      .where((eb) => eb.or([eb('fetch_run', 'is', null), eb('fetch_run', '<>', fetchRun)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async requireProfile(
    tokenId: string,
    profileUuid: string,
    now: string,
    window: { after: string; limit: number },
  ): Promise<{ changed: number; next: string | null }> {
    const serials = (
      await this.db
        .selectFrom('devices')
        .select('serial_number')
        .where('abm_token_id', '=', tokenId)
        .where('serial_number', '>', window.after)
        .orderBy('serial_number')
        .limit(window.limit)
        .execute()
    ).map((r) => r.serial_number);
    if (serials.length === 0) return { changed: 0, next: null };
    const result = await this.db
      .updateTable('devices')
      .set({ profile_assign_status: 'pending', profile_assign_error: null, profile_retry_at: null, updated_at: now })
      .where(this.serialIn(serials))
      .where('abm_token_id', '=', tokenId)
      .where('removed_at', 'is', null)
      .where((eb) => eb.or([eb('profile_uuid', 'is', null), eb('profile_uuid', '<>', profileUuid)]))
      // Already waiting (every device of a first sync): nothing to change.
      .where((eb) => eb.or([eb('profile_assign_status', 'is', null), eb('profile_assign_status', '<>', 'pending')]))
      .executeTakeFirst();
    return {
      changed: Number(result.numUpdatedRows),
      next: serials.length < window.limit ? null : (serials.at(-1) ?? null),
    };
  }

  async pendingAssignment(tokenId: string, now: string, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('devices')
      .select('serial_number')
      .where('abm_token_id', '=', tokenId)
      // Spelled as the partial index's predicate, so both engines may use it, and with the
      // statuses listed, so it is the better index: without statistics SQLite otherwise reads
      // every device of the token through (token, serial) to find the few waiting.
      .where('profile_assign_status', '<>', 'assigned')
      .where('profile_assign_status', 'in', ['pending', 'failed', 'not_accessible'])
      .where('removed_at', 'is', null)
      .where((eb) =>
        eb.or([
          eb('profile_assign_status', '=', 'pending'),
          eb.and([eb('profile_retry_at', 'is not', null), eb('profile_retry_at', '<=', now)]),
        ]),
      )
      // No ORDER BY: sorting every waiting device of a 100,000-device token for each batch
      // of 1000 made assignment quadratic. Any batch will do; it is sorted for readability.
      .limit(limit)
      .execute();
    return rows.map((r) => r.serial_number).sort();
  }

  async recordAssignments(
    tokenId: string,
    outcomes: readonly AssignOutcome[],
    change: { profileUuid: string; now: string; retryAt: string },
  ): Promise<void> {
    // One statement per kind of outcome, not one per device.
    const groups = new Map<string, { outcome: AssignOutcome; serials: string[] }>();
    for (const outcome of outcomes) {
      const key = outcome.status === 'assigned' ? 'assigned' : `${outcome.status}\n${outcome.error}`;
      const group = groups.get(key) ?? { outcome, serials: [] };
      group.serials.push(outcome.serialNumber);
      groups.set(key, group);
    }
    for (const { outcome, serials } of groups.values()) {
      const set =
        outcome.status === 'assigned'
          ? {
              profile_assign_status: 'assigned' as const,
              profile_assign_error: null,
              profile_retry_at: null,
              profile_assigned_at: change.now,
              // What Apple now holds; the next sync confirms it.
              profile_status: 'assigned',
              profile_uuid: change.profileUuid,
              profile_assign_time: change.now,
              updated_at: change.now,
            }
          : {
              profile_assign_status: outcome.status,
              profile_assign_error: outcome.error,
              profile_retry_at: change.retryAt,
              profile_assigned_at: change.now,
              updated_at: change.now,
            };
      await this.db
        .updateTable('devices')
        .set(set)
        .where(this.serialIn(serials))
        .where('abm_token_id', '=', tokenId)
        .execute();
    }
  }

  async followToken(tokenId: string, customerId: string, siteId: string, now: string): Promise<number> {
    const result = await this.db
      .updateTable('devices')
      .set({ customer_id: customerId, site_id: siteId, updated_at: now })
      .where('abm_token_id', '=', tokenId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async releaseToken(tokenId: string, now: string): Promise<number> {
    const result = await this.db
      .updateTable('devices')
      .set({
        abm_token_id: null,
        enrollment_state: 'released',
        released_at: now,
        profile_assign_status: dropPending,
        updated_at: now,
      })
      .where('abm_token_id', '=', tokenId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
