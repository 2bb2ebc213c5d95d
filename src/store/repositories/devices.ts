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
  constructor(private readonly db: Kysely<Database>) {}

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
    // Maintained counts (migration 0006): a few rows per token, whatever the number of devices.
    let q = this.db
      .selectFrom('device_counts')
      .select(['enrollment_state', 'profile_status', (eb) => eb.fn.sum<number | string>('n').as('n')])
      .groupBy(['enrollment_state', 'profile_status']);
    if (scope.customerId !== undefined) q = q.where('customer_id', '=', scope.customerId);
    if (scope.siteId !== undefined) q = q.where('site_id', '=', scope.siteId);
    if (scope.abmTokenId !== undefined) q = q.where('abm_token_id', '=', scope.abmTokenId);
    if (scope.onlyCustomerIds !== undefined) q = q.where('customer_id', 'in', scope.onlyCustomerIds);
    let total = 0;
    for (const row of await q.execute()) {
      const n = Number(row.n);
      total += n;
      byEnrollmentState[row.enrollment_state] += n;
      byProfileStatus[profileStatusKey(row.profile_status)] += n;
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
