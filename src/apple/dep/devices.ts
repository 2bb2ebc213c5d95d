/**
 * Device endpoints: fetch (`POST /server/devices`), sync (`POST /devices/sync`), details
 * (`POST /devices`) and disown (`POST /devices/disown`). Paging over them is in cursor.ts.
 */
import { ValidationError } from '../../domain/errors.js';
import { DepUnexpectedResponseError } from './errors.js';
import { checkLimit, checkSerials } from './limits.js';
import type { CallOptions, DepRequester } from './transport.js';
import { bool, expectObject, isObject, isoDate, statusMap, str } from './wire.js';

// Known values; Apple adds new ones (visionOS, Vision) without notice, so any string is kept.
export type DeviceOs = 'iOS' | 'iPadOS' | 'OSX' | 'tvOS' | 'visionOS' | (string & {});
export type DeviceFamily = 'iPhone' | 'iPad' | 'iPod' | 'Mac' | 'AppleTV' | 'Vision' | (string & {});
export type ProfileStatus = 'empty' | 'assigned' | 'pushed' | 'removed' | (string & {});
export type DeviceOpType = 'added' | 'modified' | 'deleted' | (string & {});

/** Apple's Device (apple-protocols.md §2). Every field but the serial may be missing: null. Dates are ISO 8601 UTC. */
export interface Device {
  readonly serialNumber: string;
  readonly model: string | null;
  readonly description: string | null;
  readonly color: string | null;
  readonly assetTag: string | null;
  readonly os: DeviceOs | null;
  readonly deviceFamily: DeviceFamily | null;
  readonly profileStatus: ProfileStatus | null;
  readonly profileUuid: string | null;
  readonly profileAssignTime: string | null;
  readonly profilePushTime: string | null;
  readonly deviceAssignedDate: string | null;
  /** Email of the ABM user who assigned the device to this MDM server. */
  readonly deviceAssignedBy: string | null;
  /** Sync only. A device moved here from another MDM server often comes as `modified`, not `added`. */
  readonly opType: DeviceOpType | null;
  readonly opDate: string | null;
  /** Protocol version 8+. */
  readonly mdmMigrationDeadline: string | null;
}

export interface DevicePage {
  readonly devices: readonly Device[];
  /** The cursor Apple returned; null only if Apple left it out. */
  readonly cursor: string | null;
  readonly moreToFollow: boolean;
  readonly fetchedUntil: string | null;
  /** Entries Apple sent without a serial number, which cannot be stored and were left out. */
  readonly ignoredDevices: number;
}

export interface FetchDevicesRequest {
  /** Omit on the very first fetch. */
  readonly cursor?: string;
  /** 1–1000; Apple's default is 100. */
  readonly limit?: number;
}

export interface SyncDevicesRequest {
  readonly cursor: string;
  readonly limit?: number;
}

/** Reads one Apple device; null when it has no serial number. */
export function parseDevice(value: unknown, serialFallback?: string): Device | null {
  if (!isObject(value)) return null;
  const serialNumber = str(value, 'serial_number') ?? serialFallback ?? null;
  if (serialNumber === null || serialNumber.trim() === '') return null;
  return {
    serialNumber,
    model: str(value, 'model'),
    description: str(value, 'description'),
    color: str(value, 'color'),
    assetTag: str(value, 'asset_tag'),
    os: str(value, 'os'),
    deviceFamily: str(value, 'device_family'),
    profileStatus: str(value, 'profile_status'),
    profileUuid: str(value, 'profile_uuid'),
    profileAssignTime: isoDate(value, 'profile_assign_time'),
    profilePushTime: isoDate(value, 'profile_push_time'),
    deviceAssignedDate: isoDate(value, 'device_assigned_date'),
    deviceAssignedBy: str(value, 'device_assigned_by'),
    opType: str(value, 'op_type'),
    opDate: isoDate(value, 'op_date'),
    mdmMigrationDeadline: isoDate(value, 'mdm_migration_deadline'),
  };
}

function parsePage(call: string, answer: unknown): DevicePage {
  const body = expectObject(call, answer);
  const raw = body['devices'];
  if (raw !== undefined && raw !== null && !Array.isArray(raw)) {
    throw new DepUnexpectedResponseError(call, 'devices is not a list');
  }
  const devices: Device[] = [];
  let ignoredDevices = 0;
  for (const entry of raw ?? []) {
    const device = parseDevice(entry);
    if (device === null) ignoredDevices++;
    else devices.push(device);
  }
  const cursor = str(body, 'cursor');
  return {
    devices,
    cursor: cursor === '' ? null : cursor,
    moreToFollow: bool(body, 'more_to_follow') ?? false,
    fetchedUntil: isoDate(body, 'fetched_until'),
    ignoredDevices,
  };
}

/** One page of every device assigned to this MDM server. EXHAUSTED_CURSOR → DepCursorExhaustedError. */
export async function fetchDevicesPage(
  api: DepRequester,
  request: FetchDevicesRequest = {},
  options: CallOptions = {},
): Promise<DevicePage> {
  checkLimit(request.limit);
  const body: Record<string, unknown> = {};
  if (request.cursor !== undefined && request.cursor !== '') body['cursor'] = request.cursor;
  if (request.limit !== undefined) body['limit'] = request.limit;
  const answer = await api.request({ method: 'POST', path: '/server/devices', body, ...options });
  return parsePage('POST /server/devices', answer);
}

/** One page of changes since `cursor` (from a fetch or an earlier sync). */
export async function syncDevicesPage(
  api: DepRequester,
  request: SyncDevicesRequest,
  options: CallOptions = {},
): Promise<DevicePage> {
  checkLimit(request.limit);
  if (request.cursor === '')
    throw new ValidationError('A sync needs the cursor of an earlier fetch or sync.', 'cursor');
  const body: Record<string, unknown> = { cursor: request.cursor };
  if (request.limit !== undefined) body['limit'] = request.limit;
  const answer = await api.request({ method: 'POST', path: '/devices/sync', body, ...options });
  return parsePage('POST /devices/sync', answer);
}

export type DeviceResponseStatus = 'SUCCESS' | 'NOT_ACCESSIBLE' | 'FAILED' | (string & {});

export interface DeviceDetails extends Device {
  readonly responseStatus: DeviceResponseStatus | null;
}

/** Details of up to 1000 serials, keyed by serial; unknown serials come back NOT_ACCESSIBLE. */
export async function getDeviceDetails(
  api: DepRequester,
  serials: readonly string[],
  options: CallOptions = {},
): Promise<Record<string, DeviceDetails>> {
  checkSerials(serials);
  if (serials.length === 0) return {};
  const call = 'POST /devices';
  const answer = expectObject(
    call,
    await api.request({ method: 'POST', path: '/devices', body: { devices: serials }, ...options }),
  );
  const entries = answer['devices'];
  const out: Record<string, DeviceDetails> = {};
  if (!isObject(entries)) return out;
  for (const [serial, entry] of Object.entries(entries)) {
    const device = parseDevice(entry, serial);
    if (device === null) continue;
    out[serial] = { ...device, responseStatus: isObject(entry) ? str(entry, 'response_status') : null };
  }
  return out;
}

/**
 * Releases up to 1000 devices from the organisation — irreversible. Not retried after a
 * network failure that may have reached Apple.
 */
export async function disownDevices(
  api: DepRequester,
  serials: readonly string[],
  options: CallOptions = {},
): Promise<Record<string, DeviceResponseStatus>> {
  checkSerials(serials);
  if (serials.length === 0) return {};
  const call = 'POST /devices/disown';
  const answer = expectObject(
    call,
    await api.request({
      method: 'POST',
      path: '/devices/disown',
      body: { devices: serials },
      idempotent: false,
      ...options,
    }),
  );
  return statusMap(answer, 'devices');
}
