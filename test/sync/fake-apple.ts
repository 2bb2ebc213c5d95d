// A scriptable stand-in for one MDM server at Apple, for runner tests that need answers the
// sandbox does not give on demand (a cursor echoed forever, THROTTLED, FAILED, a failure on
// exactly the third page). Cursors are "F:<snapshot>:<offset>" while fetching and
// "S:<change index>" afterwards; devices arrive in serial order.
import {
  DepCursorExhaustedError,
  DepCursorExpiredError,
  type AssignProfileResult,
  type AssignStatus,
  type CallOptions,
  type DefineProfileResult,
  type Device,
  type DevicePage,
  type FetchDevicesRequest,
  type ProfileDefinition,
  type SyncDevicesRequest,
} from '../../src/apple/dep/index.js';
import type { SyncDepClient } from '../../src/sync/dep.js';

export type Call = 'fetch' | 'sync' | 'define' | 'assign';

export class FakeApple implements SyncDepClient {
  readonly devices = new Map<string, Device>();
  readonly changes: Device[] = [];
  readonly snapshots: string[][] = [];
  readonly calls: Array<{ call: Call; cursor?: string; serials?: readonly string[] }> = [];
  readonly profiles: ProfileDefinition[] = [];
  /** Throws what it returns, before the call is answered. */
  failBefore: (call: Call, n: number, cursor: string | undefined) => Error | undefined = () => undefined;
  /** Apple's per-device answer to an assignment; SUCCESS by default. */
  assignAnswer: (serial: string) => AssignStatus = () => 'SUCCESS';
  retryAfterSeconds: number | null = null;
  /** Replaces the sync answer (the echoed-cursor quirk). */
  syncOverride: ((cursor: string) => DevicePage) | undefined;
  /**
   * Calls in flight, per kind. One sync asks for at most one page and sends at most one
   * assignment at a time; the lease tests check that two instances never add up to more.
   */
  private readonly inFlight = new Map<Call, number>();
  readonly maxInFlight = new Map<Call, number>();
  delayMs = 0;

  add(serials: readonly string[], opDate = new Date().toISOString()): void {
    for (const serialNumber of serials) {
      const d = device(serialNumber, { opType: 'added', opDate });
      this.devices.set(serialNumber, d);
      this.changes.push(d);
    }
  }

  remove(serials: readonly string[], opDate = new Date().toISOString()): void {
    for (const serialNumber of serials) {
      this.devices.delete(serialNumber);
      this.changes.push(device(serialNumber, { opType: 'deleted', opDate, profileStatus: null }));
    }
  }

  private count(call: Call): number {
    return this.calls.filter((c) => c.call === call).length;
  }

  private async enter<T>(call: Call, cursor: string | undefined, work: () => T): Promise<T> {
    this.calls.push({ call, ...(cursor === undefined ? {} : { cursor }) });
    const inFlight = (this.inFlight.get(call) ?? 0) + 1;
    this.inFlight.set(call, inFlight);
    this.maxInFlight.set(call, Math.max(this.maxInFlight.get(call) ?? 0, inFlight));
    try {
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      const error = this.failBefore(call, this.count(call), cursor);
      if (error !== undefined) throw error;
      return work();
    } finally {
      this.inFlight.set(call, (this.inFlight.get(call) ?? 1) - 1);
    }
  }

  fetchDevices(request: FetchDevicesRequest = {}, _options?: CallOptions): Promise<DevicePage> {
    return this.enter('fetch', request.cursor, () => {
      const limit = request.limit ?? 100;
      let snapshot: number;
      let offset: number;
      if (request.cursor === undefined) {
        this.snapshots.push([...this.devices.keys()].sort());
        snapshot = this.snapshots.length - 1;
        offset = 0;
      } else {
        const [kind, a, b] = request.cursor.split(':');
        if (kind === 'S') throw new DepCursorExhaustedError('POST /server/devices');
        snapshot = Number(a);
        offset = Number(b);
      }
      const serials = this.snapshots[snapshot] ?? [];
      const slice = serials.slice(offset, offset + limit);
      const more = offset + limit < serials.length;
      return {
        devices: slice.flatMap((s) => {
          const d = this.devices.get(s);
          return d === undefined ? [] : [{ ...d, opType: null, opDate: null }];
        }),
        cursor: more ? `F:${snapshot}:${offset + limit}` : `S:${this.changes.length}`,
        moreToFollow: more,
        fetchedUntil: new Date().toISOString(),
        ignoredDevices: 0,
      };
    });
  }

  syncDevices(request: SyncDevicesRequest, _options?: CallOptions): Promise<DevicePage> {
    return this.enter('sync', request.cursor, () => {
      if (this.syncOverride !== undefined) return this.syncOverride(request.cursor);
      const [kind, a] = request.cursor.split(':');
      if (kind !== 'S') throw new DepCursorExpiredError('POST /devices/sync');
      const from = Number(a);
      const limit = request.limit ?? 100;
      const slice = this.changes.slice(from, from + limit);
      const more = from + limit < this.changes.length;
      return {
        devices: slice,
        cursor: `S:${from + slice.length}`,
        moreToFollow: more,
        fetchedUntil: new Date().toISOString(),
        ignoredDevices: 0,
      };
    });
  }

  defineProfile(profile: ProfileDefinition, _options?: CallOptions): Promise<DefineProfileResult> {
    return this.enter('define', undefined, () => {
      this.profiles.push(profile);
      return { profileUuid: `PROFILE${this.profiles.length}`, devices: {} };
    });
  }

  assignProfile(profileUuid: string, serials: readonly string[], _options?: CallOptions): Promise<AssignProfileResult> {
    return this.enter('assign', undefined, () => {
      const last = this.calls.at(-1);
      if (last !== undefined) this.calls[this.calls.length - 1] = { ...last, serials };
      const devices: Record<string, AssignStatus> = {};
      let throttled = false;
      for (const serial of serials) {
        const answer = this.assignAnswer(serial);
        devices[serial] = answer;
        if (answer === 'THROTTLED') throttled = true;
        const known = this.devices.get(serial);
        if (answer === 'SUCCESS' && known !== undefined) {
          const now = new Date().toISOString();
          const updated = { ...known, profileStatus: 'assigned', profileUuid, opType: 'modified', opDate: now };
          this.devices.set(serial, updated);
          this.changes.push(updated);
        }
      }
      return { profileUuid, devices, retryAfterSeconds: throttled ? this.retryAfterSeconds : null };
    });
  }
}

export function device(serialNumber: string, extra: Partial<Device> = {}): Device {
  return {
    serialNumber,
    model: 'MacBook Air',
    description: 'MACBOOK AIR 13',
    color: 'SILVER',
    assetTag: null,
    os: 'OSX',
    deviceFamily: 'Mac',
    profileStatus: 'empty',
    profileUuid: null,
    profileAssignTime: null,
    profilePushTime: null,
    deviceAssignedDate: '2026-05-01T00:00:00.000Z',
    deviceAssignedBy: 'admin@example.com',
    opType: null,
    opDate: null,
    mdmMigrationDeadline: null,
    ...extra,
  };
}

export function serials(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(6, '0')}`);
}
