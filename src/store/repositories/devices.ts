import {
  CompiledQuery,
  PostgresAdapter,
  sql,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SqlBool,
} from 'kysely';
import { preparedOnPostgres } from '../db.js';
import { decodeCursor, encodeCursor, type Page, type PageRequest } from '../paging.js';
import {
  ENROLLMENT_STATES,
  type AppleProfileStatus,
  type Database,
  type DevicesTable,
  type EnrollmentState,
  type ProfileAssignStatus,
} from '../schema.js';

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

/** What the API reads about devices; the sync's writes are in device-writes.ts. */
export interface DeviceRepository {
  /** Each token's current devices (not removed from ABM), in all and per enrollment state. */
  countCurrentByToken(tokenIds: readonly string[]): Promise<Map<string, TokenDeviceCounts>>;
  /** Devices at the site that still belong to a token. */
  countBySite(siteId: string): Promise<number>;
  list(filter: DeviceFilter, page: PageRequest): Promise<Page<Device>>;
  get(serialNumber: string): Promise<Device | undefined>;
  summary(scope: DeviceScope): Promise<DeviceSummary>;
}

/** The states a current device (one still on its token) can be in. */
export const CURRENT_STATES = ['awaiting_enrollment', 'enrolling', 'enrolled', 'unenrolled'] as const;
export type CurrentState = (typeof CURRENT_STATES)[number];
export interface TokenDeviceCounts {
  readonly total: number;
  readonly byEnrollmentState: Readonly<Record<CurrentState, number>>;
}

export const PROFILE_STATUS_KEYS = ['empty', 'assigned', 'pushed', 'removed', 'unknown'] as const;
export type ProfileStatusKey = (typeof PROFILE_STATUS_KEYS)[number];

export class KyselyDeviceRepository implements DeviceRepository {
  private readonly postgres: boolean;
  /** Built once: the list query is Orchard's busiest, and building it was ~3 % of its CPU. */
  private readonly rows;

  constructor(private readonly db: Kysely<Database>) {
    this.postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    this.rows = db.selectFrom('devices').select(rowJsonOf(this.postgres));
  }

  async countCurrentByToken(tokenIds: readonly string[]): Promise<Map<string, TokenDeviceCounts>> {
    const out = new Map<string, { total: number; byEnrollmentState: Record<CurrentState, number> }>();
    if (tokenIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('device_counts')
      .select(['abm_token_id', 'enrollment_state', (eb) => eb.fn.sum<number | string>('n').as('n')])
      .where('abm_token_id', 'in', tokenIds)
      .where('is_current', '=', 1)
      .groupBy(['abm_token_id', 'enrollment_state'])
      .execute();
    for (const row of rows) {
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
      .selectFrom('device_counts')
      .select((eb) => eb.fn.sum<number | string | null>('n').as('n'))
      .where('site_id', '=', siteId)
      .where('abm_token_id', '<>', '')
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async list(filter: DeviceFilter, page: PageRequest): Promise<Page<Device>> {
    if (filter.onlyCustomerIds !== undefined && filter.onlyCustomerIds.length === 0) return { items: [] };
    const scoped = filter.customerId !== undefined || filter.siteId !== undefined || filter.abmTokenId !== undefined;
    const byStatus = filter.enrollmentState !== undefined || filter.profileStatus !== undefined;
    // Without a customer, site or token, the maintained counts say how common the filter's
    // devices are. None: the page is empty. Common: walking the serial index finds a page within
    // a few thousand rows. Rare: the state or status index (migration 0009) finds them all, and
    // sorting them is cheaper than walking the serial index past every other device. SQLite
    // must be told which (it keeps no statistics of values); PostgreSQL's statistics agree.
    let rare = false;
    if (!scoped && byStatus) {
      const share = await this.shareMatching(filter);
      if (share === 0) return { items: [] };
      rare = share < DENSE_SHARE;
    }
    let q = this.rows.orderBy(rare && !this.postgres ? sql`+devices.serial_number` : sql`devices.serial_number`);
    q = q.limit(page.limit + 1);
    if (scoped || filter.onlyCustomerIds !== undefined) q = q.where((eb) => scopeWhere(eb, filter));
    // Otherwise (a customer, site or token, or a common value) the scope's (column, serial)
    // index or the serial index drives the page, and state and status are checked row by row:
    // coalesce() keeps both engines off the state and status indexes, which would have them
    // fetch and sort nearly every device in scope (PostgreSQL walked the whole status index in
    // 117 ms at a million devices against 4 ms).
    if (filter.enrollmentState !== undefined) {
      q = rare
        ? q.where('devices.enrollment_state', '=', filter.enrollmentState)
        : q.where(sql`coalesce(devices.enrollment_state, '')`, '=', filter.enrollmentState);
    }
    if (filter.profileStatus !== undefined) {
      q = rare
        ? q.where('devices.profile_status', '=', filter.profileStatus)
        : q.where(sql`coalesce(devices.profile_status, '')`, '=', filter.profileStatus);
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
    const selected = await q.execute();
    const rows = await this.rowsOf(selected.slice(0, page.limit));
    const last = rows.at(-1);
    const items = rows.map(toDevice);
    return selected.length > page.limit && last !== undefined
      ? { items, nextCursor: encodeCursor([last[0]]) }
      : { items };
  }

  async get(serialNumber: string): Promise<Device | undefined> {
    const row = await this.rows.where('devices.serial_number', '=', serialNumber).executeTakeFirst();
    return row === undefined ? undefined : (await this.rowsOf([row])).map(toDevice)[0];
  }

  /**
   * The page query's rows, with their customer, site and token names and when Setup
   * Assistant released the device. SQLite looks them up in the page query itself;
   * PostgreSQL in a second query for the whole page, which costs it about a third of looking
   * them up row by row: it starts a subplan (or a join) per device (issue 10).
   */
  private async rowsOf(selected: readonly { row: string }[]): Promise<DeviceRow[]> {
    const rows = selected.map((r) => JSON.parse(r.row) as DeviceRow);
    if (!this.postgres || rows.length === 0) return rows;
    const ids = (at: number) => [...new Set(rows.map((r) => r[at]).filter((id) => id !== null))];
    const { rows: found } = await this.db.executeQuery<NameRow>(
      CompiledQuery.raw(NAMES_SQL, [ids(CUSTOMER_ID), ids(SITE_ID), ids(ABM_TOKEN_ID), rows.map((r) => r[0])]),
    );
    const names: Record<NameRow['kind'], Map<string, string | null>> = {
      c: new Map(),
      s: new Map(),
      t: new Map(),
      m: new Map(),
    };
    for (const n of found) names[n.kind].set(n.id, n.value);
    for (const r of rows) {
      r.push(
        names.c.get(r[CUSTOMER_ID] ?? '') ?? null,
        names.s.get(r[SITE_ID] ?? '') ?? null,
        names.t.get(r[ABM_TOKEN_ID] ?? '') ?? null,
        names.m.get(r[0]) ?? null,
      );
    }
    return rows;
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
    let total = 0;
    for (const row of await this.counted(scope)) {
      const n = Number(row.n);
      total += n;
      byEnrollmentState[row.enrollment_state] += n;
      byProfileStatus[profileStatusKey(row.profile_status)] += n;
    }
    return { total, byEnrollmentState, byProfileStatus };
  }

  /** The share of the scope's devices that pass the filter's state and status, from the counts. */
  private async shareMatching(filter: DeviceFilter): Promise<number> {
    let total = 0;
    let matching = 0;
    for (const row of await this.counted(filter)) {
      const n = Number(row.n);
      total += n;
      if (
        (filter.enrollmentState === undefined || row.enrollment_state === filter.enrollmentState) &&
        (filter.profileStatus === undefined || row.profile_status === filter.profileStatus)
      )
        matching += n;
    }
    return total === 0 ? 0 : matching / total;
  }

  /** Maintained counts (migration 0006) by state and status: a few rows per token, whatever the number of devices. */
  private counted(scope: DeviceScope) {
    let q = this.db
      .selectFrom('device_counts')
      .select(['enrollment_state', 'profile_status', (eb) => eb.fn.sum<number | string>('n').as('n')])
      .groupBy(['enrollment_state', 'profile_status']);
    if (scope.customerId !== undefined) q = q.where('customer_id', '=', scope.customerId);
    if (scope.siteId !== undefined) q = q.where('site_id', '=', scope.siteId);
    if (scope.abmTokenId !== undefined) q = q.where('abm_token_id', '=', scope.abmTokenId);
    if (scope.onlyCustomerIds !== undefined) q = q.where('customer_id', 'in', scope.onlyCustomerIds);
    return q.execute();
  }
}

/**
 * A state or status shared by at least this share of the devices in view fills a page of 50
 * within about 2,500 rows walked in serial order; below it, fetching its devices through the
 * state or status index and sorting them is cheaper.
 */
const DENSE_SHARE = 0.02;

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

/**
 * The columns a Device shows, in the order of toDevice's row. Each row comes back as one JSON
 * array, which the engine builds and JSON.parse reads: having the drivers make an object of
 * each row's 27 values was more than half of the API's CPU for a page of devices (issue 10).
 */
const DEVICE_COLUMNS = [
  'serial_number',
  'model',
  'description',
  'color',
  'os',
  'device_family',
  'asset_tag',
  'abm_token_id',
  'customer_id',
  'site_id',
  'profile_status',
  'profile_uuid',
  'profile_assign_status',
  'profile_assign_error',
  'device_assigned_date',
  'device_assigned_by',
  'enrollment_state',
  'removed_at',
  'enrolled_at',
  'udid',
  'device_name',
  'os_version',
  'build_version',
  'model_name',
  'product_name',
  'last_seen_at',
  'updated_at',
] as const satisfies readonly (keyof DevicesTable)[];

const ABM_TOKEN_ID = DEVICE_COLUMNS.indexOf('abm_token_id');
const CUSTOMER_ID = DEVICE_COLUMNS.indexOf('customer_id');
const SITE_ID = DEVICE_COLUMNS.indexOf('site_id');

/** DEVICE_COLUMNS' values, then customer, site and token names and setup_released_at. */
type DeviceRow = [string, ...(string | null)[]];

/**
 * Text on both engines, so one JSON.parse reads it (pg would parse json itself, the same way).
 * SQLite's subqueries cost it about what a join does (0.1 ms for 51 rows).
 */
function rowJsonOf(postgres: boolean) {
  const columns = DEVICE_COLUMNS.map((c) => `"devices"."${c}"`).join(', ');
  return sql
    .raw<string>(
      postgres
        ? `json_build_array(${columns})::text`
        : `json_array(${columns}, ${[
            `(select name from customers where id = devices.customer_id)`,
            `(select name from sites where id = devices.site_id)`,
            `(select server_name from abm_tokens where id = devices.abm_token_id)`,
            `(select released_at from mdm_enrollments where serial_number = devices.serial_number)`,
          ].join(', ')})`,
    )
    .as('row');
}

interface NameRow {
  kind: 'c' | 's' | 't' | 'm';
  id: string;
  value: string | null;
}

/**
 * PostgreSQL: customer, site and token names and mdm_enrollments.released_at for a page's
 * ids, each list one array parameter, in a statement prepared once per connection.
 */
const NAMES_SQL = preparedOnPostgres(
  [
    `select 'c' as kind, id, name as value from customers where id = any($1)`,
    `select 's', id, name from sites where id = any($2)`,
    `select 't', id, server_name from abm_tokens where id = any($3)`,
    `select 'm', serial_number, released_at from mdm_enrollments where serial_number = any($4)`,
  ].join(' union all '),
);

function toDevice(r: DeviceRow): Device {
  return {
    serialNumber: r[0],
    model: r[1] ?? null,
    description: r[2] ?? null,
    color: r[3] ?? null,
    os: r[4] ?? null,
    deviceFamily: r[5] ?? null,
    assetTag: r[6] ?? null,
    abmTokenId: r[7] ?? null,
    customerId: r[8] ?? null,
    customerName: r[27] ?? null,
    siteId: r[9] ?? null,
    siteName: r[28] ?? null,
    serverName: r[29] ?? null,
    profileStatus: r[10] ?? null,
    profileUuid: r[11] ?? null,
    profileAssignStatus: (r[12] ?? null) as ProfileAssignStatus | null,
    profileAssignError: r[13] ?? null,
    assignedAt: r[14] ?? null,
    assignedBy: r[15] ?? null,
    enrollmentState: r[16] as EnrollmentState,
    removedAt: r[17] ?? null,
    enrolledAt: r[18] ?? null,
    udid: r[19] ?? null,
    deviceName: r[20] ?? null,
    osVersion: r[21] ?? null,
    buildVersion: r[22] ?? null,
    modelName: r[23] ?? null,
    productName: r[24] ?? null,
    lastSeenAt: r[25] ?? null,
    setupReleasedAt: r[30] ?? null,
    updatedAt: r[26] as string,
  };
}
