import { sql, type Expression, type ExpressionBuilder, type Kysely, type Selectable, type SqlBool } from 'kysely';
import { decodeCursor, toPage, type Page, type PageRequest } from '../paging.js';
import {
  ENROLLMENT_STATES,
  type AppleProfileStatus,
  type Database,
  type DevicesTable,
  type EnrollmentState,
  type ProfileAssignStatus,
} from '../schema.js';

/** What the page planner needs to know about a device already stored. */
export interface StoredDevice {
  readonly serialNumber: string;
  readonly abmTokenId: string | null;
  readonly opDate: string | null;
  readonly removedAt: string | null;
  readonly profileAssignStatus: ProfileAssignStatus | null;
  readonly profileAssignError: string | null;
  readonly profileRetryAt: string | null;
}

/** A device row as the sync writes it. Enrollment facts (MDM) are the store's to keep. */
export interface DeviceUpsert {
  readonly serialNumber: string;
  readonly abmTokenId: string;
  readonly customerId: string;
  readonly siteId: string;
  readonly model: string | null;
  readonly description: string | null;
  readonly color: string | null;
  readonly assetTag: string | null;
  readonly os: string | null;
  readonly deviceFamily: string | null;
  readonly profileStatus: AppleProfileStatus | null;
  readonly profileUuid: string | null;
  readonly profileAssignTime: string | null;
  readonly profilePushTime: string | null;
  readonly deviceAssignedDate: string | null;
  readonly deviceAssignedBy: string | null;
  readonly opDate: string | null;
  readonly opType: string | null;
  readonly fetchRun: string | null;
  readonly profileAssignStatus: ProfileAssignStatus;
  readonly profileAssignError: string | null;
  readonly profileRetryAt: string | null;
}

export interface DeviceRemoval {
  readonly serialNumber: string;
  /** When Apple says it left the MDM server; now when Apple gave no date. */
  readonly removedAt: string;
  readonly opDate: string | null;
}

/** A device as the API shows it: Apple's facts, where it belongs, and Orchard's own state. */
export interface Device {
  readonly serialNumber: string;
  readonly model: string | null;
  readonly description: string | null;
  readonly color: string | null;
  readonly os: string | null;
  readonly deviceFamily: string | null;
  readonly assetTag: string | null;
  readonly abmTokenId: string | null;
  readonly customerId: string | null;
  readonly customerName: string | null;
  readonly siteId: string | null;
  readonly siteName: string | null;
  readonly serverName: string | null;
  readonly profileStatus: string | null;
  readonly profileUuid: string | null;
  readonly profileAssignStatus: ProfileAssignStatus | null;
  readonly profileAssignError: string | null;
  readonly assignedAt: string | null;
  readonly assignedBy: string | null;
  readonly enrollmentState: EnrollmentState;
  readonly removedAt: string | null;
  readonly enrolledAt: string | null;
  readonly udid: string | null;
  /** What the device reported at enrollment and since (null until it has). */
  readonly deviceName: string | null;
  readonly osVersion: string | null;
  readonly buildVersion: string | null;
  readonly modelName: string | null;
  readonly productName: string | null;
  readonly lastSeenAt: string | null;
  /** When DeviceConfigured released it from Setup Assistant. */
  readonly setupReleasedAt: string | null;
  readonly updatedAt: string;
}

export interface DeviceScope {
  readonly customerId?: string;
  readonly siteId?: string;
  readonly abmTokenId?: string;
  /** A technician's customers; undefined means all. */
  readonly onlyCustomerIds?: readonly string[];
}

export interface DeviceFilter extends DeviceScope {
  readonly enrollmentState?: EnrollmentState;
  readonly profileStatus?: string;
  /** Serial number prefix, already upper-cased (Apple's serials are). */
  readonly serialPrefix?: string;
}

export interface DeviceSummary {
  readonly total: number;
  readonly byEnrollmentState: Readonly<Record<EnrollmentState, number>>;
  /** Apple's profile status; `unknown` when Apple gave none. */
  readonly byProfileStatus: Readonly<Record<ProfileStatusKey, number>>;
}

/** The outcome of one assignment attempt for one device. */
export type AssignOutcome =
  | { readonly serialNumber: string; readonly status: 'assigned' }
  | { readonly serialNumber: string; readonly status: 'failed' | 'not_accessible'; readonly error: string };

export interface DeviceRepository {
  /** What the page planner needs about these serials (missing ones are new). */
  findForSync(serials: readonly string[]): Promise<Map<string, StoredDevice>>;
  /** Inserts or updates; an update only lands when its op_date is not older than the stored one. */
  upsert(rows: readonly DeviceUpsert[], now: string): Promise<void>;
  /** Marks removed from ABM, only devices still this token's and not newer. */
  markRemoved(tokenId: string, removals: readonly DeviceRemoval[], now: string): Promise<number>;
  /** After a full fetch: the token's current devices that fetch did not return are gone from ABM. */
  markUnseenRemoved(tokenId: string, fetchRun: string, now: string): Promise<number>;
  /** Devices of the token waiting for its profile: pending, or refused and past their cool-down. */
  pendingAssignment(tokenId: string, now: string, limit: number): Promise<string[]>;
  recordAssignments(
    tokenId: string,
    outcomes: readonly AssignOutcome[],
    change: { profileUuid: string; now: string; retryAt: string },
  ): Promise<void>;
  /** The profile was defined anew: every current device not carrying it needs it. */
  requireProfile(tokenId: string, profileUuid: string, now: string): Promise<number>;
  /** The token moved: its devices follow it to the new customer and site. */
  followToken(tokenId: string, customerId: string, siteId: string, now: string): Promise<number>;
  /** The token is being deleted: its devices are kept, marked released, with no token. */
  releaseToken(tokenId: string, now: string): Promise<number>;
  /** Current (not removed) devices per token. */
  /** Each token's current devices (not removed from ABM), in all and per enrollment state. */
  countCurrentByToken(tokenIds: readonly string[]): Promise<Map<string, TokenDeviceCounts>>;
  /** Devices at the site that still belong to a token. */
  countBySite(siteId: string): Promise<number>;
  list(filter: DeviceFilter, page: PageRequest): Promise<Page<Device>>;
  get(serialNumber: string): Promise<Device | undefined>;
  summary(scope: DeviceScope): Promise<DeviceSummary>;
}

/** SQLite allows 32 766 bound parameters per statement; a device row has 26. */
const UPSERT_CHUNK = 500;
const SELECT_CHUNK = 1000;

/** The states a current device (one still on its token) can be in. */
export const CURRENT_STATES = ['awaiting_enrollment', 'enrolling', 'enrolled', 'unenrolled'] as const;
export type CurrentState = (typeof CURRENT_STATES)[number];
export interface TokenDeviceCounts {
  readonly total: number;
  readonly byEnrollmentState: Readonly<Record<CurrentState, number>>;
}

export const PROFILE_STATUS_KEYS = ['empty', 'assigned', 'pushed', 'removed', 'unknown'] as const;
export type ProfileStatusKey = (typeof PROFILE_STATUS_KEYS)[number];

/**
 * While a device is in ABM, its state follows what MDM said about it: the one place that
 * mapping is written (sync upserts and enrollment updates both use it).
 */
export const enrollmentStateFromMdm = sql<EnrollmentState>`case devices.mdm_enrollment when 'enrolling' then 'enrolling' when 'enrolled' then 'enrolled' when 'unenrolled' then 'unenrolled' else 'awaiting_enrollment' end`;

export class KyselyDeviceRepository implements DeviceRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findForSync(serials: readonly string[]): Promise<Map<string, StoredDevice>> {
    const out = new Map<string, StoredDevice>();
    for (let i = 0; i < serials.length; i += SELECT_CHUNK) {
      const rows = await this.db
        .selectFrom('devices')
        .select([
          'serial_number',
          'abm_token_id',
          'op_date',
          'removed_at',
          'profile_assign_status',
          'profile_assign_error',
          'profile_retry_at',
        ])
        .where('serial_number', 'in', serials.slice(i, i + SELECT_CHUNK))
        .execute();
      for (const r of rows) {
        out.set(r.serial_number, {
          serialNumber: r.serial_number,
          abmTokenId: r.abm_token_id,
          opDate: r.op_date,
          removedAt: r.removed_at,
          profileAssignStatus: r.profile_assign_status,
          profileAssignError: r.profile_assign_error,
          profileRetryAt: r.profile_retry_at,
        });
      }
    }
    return out;
  }

  async upsert(rows: readonly DeviceUpsert[], now: string): Promise<void> {
    for (let i = 0; i < rows.length; i += UPSERT_CHUNK) {
      const chunk = rows.slice(i, i + UPSERT_CHUNK);
      await this.db
        .insertInto('devices')
        .values(
          chunk.map((d) => ({
            serial_number: d.serialNumber,
            abm_token_id: d.abmTokenId,
            customer_id: d.customerId,
            site_id: d.siteId,
            model: d.model,
            description: d.description,
            color: d.color,
            asset_tag: d.assetTag,
            os: d.os,
            device_family: d.deviceFamily,
            profile_status: d.profileStatus,
            profile_uuid: d.profileUuid,
            profile_assign_time: d.profileAssignTime,
            profile_push_time: d.profilePushTime,
            device_assigned_date: d.deviceAssignedDate,
            device_assigned_by: d.deviceAssignedBy,
            op_date: d.opDate,
            op_type: d.opType,
            fetch_run: d.fetchRun,
            profile_assign_status: d.profileAssignStatus,
            profile_assign_error: d.profileAssignError,
            profile_retry_at: d.profileRetryAt,
            enrollment_state: 'awaiting_enrollment' as const,
            removed_at: null,
            created_at: now,
            updated_at: now,
          })),
        )
        .onConflict((oc) =>
          oc
            .column('serial_number')
            .doUpdateSet((eb) => ({
              abm_token_id: eb.ref('excluded.abm_token_id'),
              customer_id: eb.ref('excluded.customer_id'),
              site_id: eb.ref('excluded.site_id'),
              model: eb.ref('excluded.model'),
              description: eb.ref('excluded.description'),
              color: eb.ref('excluded.color'),
              asset_tag: eb.ref('excluded.asset_tag'),
              os: eb.ref('excluded.os'),
              device_family: eb.ref('excluded.device_family'),
              profile_status: eb.ref('excluded.profile_status'),
              profile_uuid: eb.ref('excluded.profile_uuid'),
              profile_assign_time: eb.ref('excluded.profile_assign_time'),
              profile_push_time: eb.ref('excluded.profile_push_time'),
              device_assigned_date: eb.ref('excluded.device_assigned_date'),
              device_assigned_by: eb.ref('excluded.device_assigned_by'),
              op_date: eb.ref('excluded.op_date'),
              op_type: eb.ref('excluded.op_type'),
              fetch_run: eb.ref('excluded.fetch_run'),
              profile_assign_status: eb.ref('excluded.profile_assign_status'),
              profile_assign_error: eb.ref('excluded.profile_assign_error'),
              profile_retry_at: eb.ref('excluded.profile_retry_at'),
              // Back in ABM (or still there): the state follows what MDM said about it.
              enrollment_state: enrollmentStateFromMdm,
              removed_at: null,
              released_at: null,
              updated_at: eb.ref('excluded.updated_at'),
            }))
            // The planner's rules again, atomically (src/sync/page-plan.ts): what another
            // token's feed wrote meanwhile is neither overwritten by older news, nor taken
            // back by a record that says the device is no longer on this server.
            .where((eb) =>
              eb.and([
                eb.or([
                  eb('devices.op_date', 'is', null),
                  eb('excluded.op_date', 'is', null),
                  eb('excluded.op_date', '>=', eb.ref('devices.op_date')),
                ]),
                eb.or([
                  eb('excluded.profile_status', 'is not', null),
                  eb('devices.abm_token_id', 'is', null),
                  eb('devices.abm_token_id', '=', eb.ref('excluded.abm_token_id')),
                  eb('devices.removed_at', 'is not', null),
                ]),
              ]),
            ),
        )
        .execute();
    }
  }

  async markRemoved(tokenId: string, removals: readonly DeviceRemoval[], now: string): Promise<number> {
    let changed = 0;
    for (const removal of removals) {
      const result = await this.db
        .updateTable('devices')
        .set({
          enrollment_state: 'removed',
          removed_at: removal.removedAt,
          ...(removal.opDate === null ? {} : { op_date: removal.opDate }),
          op_type: 'deleted',
          profile_assign_status: sql<ProfileAssignStatus | null>`case when profile_assign_status = 'pending' then null else profile_assign_status end`,
          updated_at: now,
        })
        .where('serial_number', '=', removal.serialNumber)
        .where('abm_token_id', '=', tokenId)
        .where('removed_at', 'is', null)
        .where((eb) =>
          removal.opDate === null
            ? eb.lit(true)
            : eb.or([eb('op_date', 'is', null), eb('op_date', '<=', removal.opDate)]),
        )
        .executeTakeFirst();
      changed += Number(result.numUpdatedRows);
    }
    return changed;
  }

  async markUnseenRemoved(tokenId: string, fetchRun: string, now: string): Promise<number> {
    const result = await this.db
      .updateTable('devices')
      .set({
        enrollment_state: 'removed',
        removed_at: now,
        profile_assign_status: sql<ProfileAssignStatus | null>`case when profile_assign_status = 'pending' then null else profile_assign_status end`,
        updated_at: now,
      })
      .where('abm_token_id', '=', tokenId)
      .where('removed_at', 'is', null)
      .where((eb) => eb.or([eb('fetch_run', 'is', null), eb('fetch_run', '<>', fetchRun)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async pendingAssignment(tokenId: string, now: string, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('devices')
      .select('serial_number')
      .where('abm_token_id', '=', tokenId)
      // Spelled as the partial index's predicate, so both engines use it.
      .where('profile_assign_status', '<>', 'assigned')
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
    const assigned = outcomes.filter((o) => o.status === 'assigned').map((o) => o.serialNumber);
    for (let i = 0; i < assigned.length; i += SELECT_CHUNK) {
      await this.db
        .updateTable('devices')
        .set({
          profile_assign_status: 'assigned',
          profile_assign_error: null,
          profile_retry_at: null,
          profile_assigned_at: change.now,
          // What Apple now holds; the next sync confirms it.
          profile_status: 'assigned',
          profile_uuid: change.profileUuid,
          profile_assign_time: change.now,
          updated_at: change.now,
        })
        .where('serial_number', 'in', assigned.slice(i, i + SELECT_CHUNK))
        .where('abm_token_id', '=', tokenId)
        .execute();
    }
    for (const outcome of outcomes) {
      if (outcome.status === 'assigned') continue;
      await this.db
        .updateTable('devices')
        .set({
          profile_assign_status: outcome.status,
          profile_assign_error: outcome.error,
          profile_retry_at: change.retryAt,
          profile_assigned_at: change.now,
          updated_at: change.now,
        })
        .where('serial_number', '=', outcome.serialNumber)
        .where('abm_token_id', '=', tokenId)
        .execute();
    }
  }

  async requireProfile(tokenId: string, profileUuid: string, now: string): Promise<number> {
    const result = await this.db
      .updateTable('devices')
      .set({ profile_assign_status: 'pending', profile_assign_error: null, profile_retry_at: null, updated_at: now })
      .where('abm_token_id', '=', tokenId)
      .where('removed_at', 'is', null)
      .where((eb) => eb.or([eb('profile_uuid', 'is', null), eb('profile_uuid', '<>', profileUuid)]))
      // Already waiting (every device of a first sync): nothing to change.
      .where((eb) => eb.or([eb('profile_assign_status', 'is', null), eb('profile_assign_status', '<>', 'pending')]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
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
        profile_assign_status: sql<ProfileAssignStatus | null>`case when profile_assign_status = 'pending' then null else profile_assign_status end`,
        updated_at: now,
      })
      .where('abm_token_id', '=', tokenId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async countCurrentByToken(tokenIds: readonly string[]): Promise<Map<string, TokenDeviceCounts>> {
    const out = new Map<string, { total: number; byEnrollmentState: Record<CurrentState, number> }>();
    if (tokenIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('devices')
      .select(['abm_token_id', 'enrollment_state', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('abm_token_id', 'in', tokenIds)
      .where('removed_at', 'is', null)
      .groupBy(['abm_token_id', 'enrollment_state'])
      .execute();
    for (const row of rows) {
      if (row.abm_token_id === null) continue;
      let counts = out.get(row.abm_token_id);
      if (counts === undefined) {
        counts = {
          total: 0,
          byEnrollmentState: Object.fromEntries(CURRENT_STATES.map((s) => [s, 0])) as Record<CurrentState, number>,
        };
        out.set(row.abm_token_id, counts);
      }
      const n = Number(row.n);
      counts.total += n;
      if ((CURRENT_STATES as readonly string[]).includes(row.enrollment_state)) {
        counts.byEnrollmentState[row.enrollment_state as CurrentState] += n;
      }
    }
    return out;
  }

  async countBySite(siteId: string): Promise<number> {
    const row = await this.db
      .selectFrom('devices')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('site_id', '=', siteId)
      .where('abm_token_id', 'is not', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  private select() {
    return this.db
      .selectFrom('devices')
      .leftJoin('abm_tokens', 'abm_tokens.id', 'devices.abm_token_id')
      .leftJoin('customers', 'customers.id', 'devices.customer_id')
      .leftJoin('sites', 'sites.id', 'devices.site_id')
      .leftJoin('mdm_enrollments', 'mdm_enrollments.serial_number', 'devices.serial_number')
      .selectAll('devices')
      .select([
        'customers.name as customer_name',
        'sites.name as site_name',
        'abm_tokens.server_name as server_name',
        'mdm_enrollments.released_at as setup_released_at',
      ]);
  }

  async list(filter: DeviceFilter, page: PageRequest): Promise<Page<Device>> {
    if (filter.onlyCustomerIds !== undefined && filter.onlyCustomerIds.length === 0) return { items: [] };
    let q = this.select()
      .where((eb) => scopeWhere(eb, filter))
      .orderBy('devices.serial_number')
      .limit(page.limit + 1);
    // With a customer, site or token, that scope's (column, serial) index drives the page and
    // state and profile status are checked row by row: PostgreSQL otherwise walks the whole
    // (profile_status, serial) index when one status covers nearly every device (117 ms at a
    // million devices against 4 ms). coalesce() keeps both engines off those indexes here.
    const scoped = filter.customerId !== undefined || filter.siteId !== undefined || filter.abmTokenId !== undefined;
    if (filter.enrollmentState !== undefined) {
      q = scoped
        ? q.where(sql`coalesce(devices.enrollment_state, '')`, '=', filter.enrollmentState)
        : q.where('devices.enrollment_state', '=', filter.enrollmentState);
    }
    if (filter.profileStatus !== undefined) {
      q = scoped
        ? q.where(sql`coalesce(devices.profile_status, '')`, '=', filter.profileStatus)
        : q.where('devices.profile_status', '=', filter.profileStatus);
    }
    if (filter.serialPrefix !== undefined && filter.serialPrefix !== '') {
      // A range, not LIKE: it uses the serial index (and every (column, serial) index) on
      // both engines, and treats % and _ literally. Serials collate byte-wise (migration 0003).
      q = q
        .where('devices.serial_number', '>=', filter.serialPrefix)
        .where('devices.serial_number', '<', `${filter.serialPrefix}\uffff`);
    }
    if (page.cursor !== undefined) {
      const [serial] = decodeCursor(page.cursor, 1) as [string];
      q = q.where('devices.serial_number', '>', serial);
    }
    return toPage(await q.execute(), page.limit, toDevice, (r) => [r.serial_number]);
  }

  async get(serialNumber: string): Promise<Device | undefined> {
    const row = await this.select().where('devices.serial_number', '=', serialNumber).executeTakeFirst();
    return row === undefined ? undefined : toDevice(row);
  }

  async summary(scope: DeviceScope): Promise<DeviceSummary> {
    const byEnrollmentState = Object.fromEntries(ENROLLMENT_STATES.map((s) => [s, 0])) as Record<
      EnrollmentState,
      number
    >;
    const byProfileStatus = Object.fromEntries(PROFILE_STATUS_KEYS.map((s) => [s, 0])) as Record<
      ProfileStatusKey,
      number
    >;
    if (scope.onlyCustomerIds !== undefined && scope.onlyCustomerIds.length === 0) {
      return { total: 0, byEnrollmentState, byProfileStatus };
    }
    const scoped =
      scope.customerId !== undefined ||
      scope.siteId !== undefined ||
      scope.abmTokenId !== undefined ||
      scope.onlyCustomerIds !== undefined;
    let total = 0;
    if (scoped) {
      // One pass over the scope's index range.
      const rows = await this.db
        .selectFrom('devices')
        .select(['enrollment_state', 'profile_status', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where((eb) => scopeWhere(eb, scope))
        .groupBy(['enrollment_state', 'profile_status'])
        .execute();
      for (const row of rows) {
        const n = Number(row.n);
        total += n;
        byEnrollmentState[row.enrollment_state] += n;
        byProfileStatus[profileStatusKey(row.profile_status)] += n;
      }
    } else {
      // The whole fleet: two counts, each answered from its own (column, serial) index
      // alone, several times faster at a million devices than grouping the table by both.
      const states = await this.db
        .selectFrom('devices')
        .select(['enrollment_state', (eb) => eb.fn.countAll<number | string>().as('n')])
        .groupBy('enrollment_state')
        .execute();
      for (const row of states) {
        total += Number(row.n);
        byEnrollmentState[row.enrollment_state] += Number(row.n);
      }
      const statuses = await this.db
        .selectFrom('devices')
        .select(['profile_status', (eb) => eb.fn.countAll<number | string>().as('n')])
        .groupBy('profile_status')
        .execute();
      for (const row of statuses) byProfileStatus[profileStatusKey(row.profile_status)] += Number(row.n);
    }
    return { total, byEnrollmentState, byProfileStatus };
  }
}

function profileStatusKey(status: string | null): ProfileStatusKey {
  return (PROFILE_STATUS_KEYS as readonly string[]).includes(status ?? '') && status !== 'unknown'
    ? (status as ProfileStatusKey)
    : 'unknown';
}

function scopeWhere(eb: ExpressionBuilder<Database, 'devices'>, scope: DeviceScope): Expression<SqlBool> {
  const terms: Expression<SqlBool>[] = [];
  if (scope.customerId !== undefined) terms.push(eb('devices.customer_id', '=', scope.customerId));
  if (scope.siteId !== undefined) terms.push(eb('devices.site_id', '=', scope.siteId));
  if (scope.abmTokenId !== undefined) terms.push(eb('devices.abm_token_id', '=', scope.abmTokenId));
  if (scope.onlyCustomerIds !== undefined) terms.push(eb('devices.customer_id', 'in', scope.onlyCustomerIds));
  return eb.and(terms);
}

type ListRow = Selectable<DevicesTable> & {
  customer_name: string | null;
  site_name: string | null;
  server_name: string | null;
  setup_released_at: string | null;
};

function toDevice(row: ListRow): Device {
  return {
    serialNumber: row.serial_number,
    model: row.model,
    description: row.description,
    color: row.color,
    os: row.os,
    deviceFamily: row.device_family,
    assetTag: row.asset_tag,
    abmTokenId: row.abm_token_id,
    customerId: row.customer_id,
    customerName: row.customer_name,
    siteId: row.site_id,
    siteName: row.site_name,
    serverName: row.server_name,
    profileStatus: row.profile_status,
    profileUuid: row.profile_uuid,
    profileAssignStatus: row.profile_assign_status,
    profileAssignError: row.profile_assign_error,
    assignedAt: row.device_assigned_date,
    assignedBy: row.device_assigned_by,
    enrollmentState: row.enrollment_state,
    removedAt: row.removed_at,
    enrolledAt: row.enrolled_at,
    udid: row.udid,
    deviceName: row.device_name,
    osVersion: row.os_version,
    buildVersion: row.build_version,
    modelName: row.model_name,
    productName: row.product_name,
    lastSeenAt: row.last_seen_at,
    setupReleasedAt: row.setup_released_at,
    updatedAt: row.updated_at,
  };
}
