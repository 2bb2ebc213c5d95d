/**
 * What one page from Apple does to the stored devices, decided without touching storage:
 * which devices to insert or update, which to mark removed, and which need the token's
 * profile. Pure, so the rules below are tested on their own.
 *
 * Rules (apple-protocols.md §2):
 * - Within a page the latest `op_date` per serial wins; a tie goes to the later entry.
 *   Apple can repeat a device within a sync, and not always in order.
 * - A device is overwritten only by news at least as recent as what is stored
 *   (`op_date` ≥ the stored one; a full fetch, with no `op_date`, is the present). That
 *   keeps a stale `modified` from another token's feed from moving a device back.
 * - `deleted` marks the device removed (kept, with the date) only when it belongs to this
 *   token: after a move, the old server's `deleted` must not remove it from the new one.
 *   A `deleted` for a device never seen is not stored.
 * - Anything else (`added`, `modified`, a fetched device) is an upsert under this token
 *   and its customer and site — which is how a device moved from another token follows —
 *   unless it reads as a device no longer on this server (see belongsElsewhere).
 */
import type { Device } from '../apple/dep/index.js';
import type { DeviceRemoval, DeviceUpsert, StoredDevice } from '../store/repositories/devices.js';
import type { AppleProfileStatus } from '../store/schema.js';

export interface PageContext {
  readonly tokenId: string;
  readonly customerId: string;
  readonly siteId: string;
  /** The token's profile as defined with Apple now; null before the first definition. */
  readonly profileUuid: string | null;
  /** The full fetch this page belongs to (or the last one, during incremental sync). */
  readonly fetchRun: string | null;
  readonly now: string;
}

export interface PagePlan {
  /** Sorted by serial, so concurrent writers lock rows in one order. */
  readonly upserts: readonly DeviceUpsert[];
  readonly removals: readonly DeviceRemoval[];
  /** Entries skipped as older than what is stored, or deletions of devices not this token's. */
  readonly ignored: number;
}

const PROFILE_STATUSES: ReadonlySet<string> = new Set(['empty', 'assigned', 'pushed', 'removed']);

/** The latest entry per serial; ties go to the later one. */
export function latestPerSerial(devices: readonly Device[]): Device[] {
  const latest = new Map<string, Device>();
  for (const device of devices) {
    const known = latest.get(device.serialNumber);
    if (known === undefined || (device.opDate ?? '') >= (known.opDate ?? '')) latest.set(device.serialNumber, device);
  }
  return [...latest.values()];
}

/**
 * Apple reports a device's present state in every change, and a device assigned to the
 * asking server always has a profile status (`empty` at least). A change without one is
 * about a device that has since left this server: it must not take the device from the
 * token that holds it now. This, not op_date, settles moves made within one second (op_date
 * has whole seconds only), whichever token's feed is read first.
 */
function belongsElsewhere(before: StoredDevice | undefined, tokenId: string): boolean {
  return (
    before !== undefined && before.abmTokenId !== null && before.abmTokenId !== tokenId && before.removedAt === null
  );
}

/** Stored data may be overwritten by news at least as recent (the same test runs in SQL). */
export function isNewer(incoming: string | null, stored: string | null): boolean {
  return incoming === null || stored === null || incoming >= stored;
}

export function planPage(
  devices: readonly Device[],
  stored: ReadonlyMap<string, StoredDevice>,
  context: PageContext,
): PagePlan {
  const upserts: DeviceUpsert[] = [];
  const removals: DeviceRemoval[] = [];
  let ignored = 0;
  for (const device of latestPerSerial(devices)) {
    const before = stored.get(device.serialNumber);
    if (device.opType === 'deleted') {
      if (
        before === undefined ||
        before.abmTokenId !== context.tokenId ||
        before.removedAt !== null ||
        !isNewer(device.opDate, before.opDate)
      ) {
        ignored += 1;
        continue;
      }
      removals.push({
        serialNumber: device.serialNumber,
        removedAt: device.opDate ?? context.now,
        opDate: device.opDate,
      });
      continue;
    }
    if (before !== undefined && !isNewer(device.opDate, before.opDate)) {
      ignored += 1;
      continue;
    }
    if (device.profileStatus === null && belongsElsewhere(before, context.tokenId)) {
      ignored += 1;
      continue;
    }
    upserts.push({
      serialNumber: device.serialNumber,
      abmTokenId: context.tokenId,
      customerId: context.customerId,
      siteId: context.siteId,
      model: device.model,
      description: device.description,
      color: device.color,
      assetTag: device.assetTag,
      os: device.os,
      deviceFamily: device.deviceFamily,
      profileStatus:
        device.profileStatus !== null && PROFILE_STATUSES.has(device.profileStatus)
          ? (device.profileStatus as AppleProfileStatus)
          : null,
      profileUuid: device.profileUuid,
      profileAssignTime: device.profileAssignTime,
      profilePushTime: device.profilePushTime,
      deviceAssignedDate: device.deviceAssignedDate,
      deviceAssignedBy: device.deviceAssignedBy,
      opDate: device.opDate ?? before?.opDate ?? null,
      opType: device.opType,
      fetchRun: context.fetchRun,
      ...assignment(device, before, context),
    });
  }
  upserts.sort((a, b) => (a.serialNumber < b.serialNumber ? -1 : a.serialNumber > b.serialNumber ? 1 : 0));
  return { upserts, removals, ignored };
}

/**
 * Does the device need the token's profile? Not when Apple already reports ours; not yet
 * when Apple refused it recently (FAILED / NOT_ACCESSIBLE wait out a cool-down); otherwise
 * yes — a new device, one whose profile is empty or removed, or one carrying another
 * profile (another MDM server's, or our previous definition).
 */
function assignment(
  device: Device,
  before: StoredDevice | undefined,
  context: PageContext,
): Pick<DeviceUpsert, 'profileAssignStatus' | 'profileAssignError' | 'profileRetryAt'> {
  const ours =
    context.profileUuid !== null &&
    device.profileUuid === context.profileUuid &&
    (device.profileStatus === 'assigned' || device.profileStatus === 'pushed');
  if (ours) return { profileAssignStatus: 'assigned', profileAssignError: null, profileRetryAt: null };
  const coolingDown =
    before !== undefined &&
    before.abmTokenId === context.tokenId &&
    (before.profileAssignStatus === 'failed' || before.profileAssignStatus === 'not_accessible') &&
    before.profileRetryAt !== null &&
    before.profileRetryAt > context.now;
  if (coolingDown && before.profileAssignStatus !== null) {
    return {
      profileAssignStatus: before.profileAssignStatus,
      profileAssignError: before.profileAssignError,
      profileRetryAt: before.profileRetryAt,
    };
  }
  return { profileAssignStatus: 'pending', profileAssignError: null, profileRetryAt: null };
}
