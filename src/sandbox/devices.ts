/**
 * The organisation's devices and the per-server change log DEP sync reads. Every state change
 * a DEP client can observe writes one change row, as Apple's sync feed reports it:
 *
 * - assigned to a server from "unassigned" → `added` on that server;
 * - moved between servers → `deleted` on the old one and `modified` on the new one (Apple
 *   often reports a device moved in from another MDM server as `modified`, not `added`;
 *   clients must treat both as "upsert", and the sandbox makes them);
 * - unassigned or disowned → `deleted`;
 * - profile assigned, removed or pushed → `modified`.
 *
 * All bulk paths run in one transaction over prepared statements.
 */
import type { SandboxDb } from './db.js';
import type { CatalogDevice, DeviceGenerator } from './device-catalog.js';

export type ProfileStatus = 'empty' | 'assigned' | 'pushed' | 'removed';
export type OpType = 'added' | 'modified' | 'deleted';

export interface DeviceRecord {
  readonly serial: string;
  readonly model: string;
  readonly description: string;
  readonly color: string;
  readonly os: string;
  readonly deviceFamily: string;
  readonly assetTag: string | null;
  readonly serverId: string | null;
  readonly assignedAt: number | null;
  readonly assignedBy: string | null;
  readonly profileUuid: string | null;
  readonly profileStatus: ProfileStatus;
  readonly profileAssignTime: number | null;
  readonly profilePushTime: number | null;
  readonly disowned: boolean;
}

export interface ChangeRecord {
  readonly seq: number;
  readonly opType: OpType;
  readonly opDate: number;
  readonly serial: string;
  readonly device: DeviceRecord | undefined;
}

/** The MDM server new devices go to, and the ABM administrator who assigned them. */
export interface Assignee {
  readonly serverId: string;
  readonly adminId: string;
}

export type AssignOutcome = 'added' | 'moved' | 'unchanged' | 'not_found';
export type ServerDeviceOutcome = 'SUCCESS' | 'NOT_ACCESSIBLE';
export type PushOutcome = 'pushed' | 'already_pushed' | 'not_found' | 'not_assigned_to_a_server' | 'no_profile';

/** Rows are read in better-sqlite3's raw (array) mode: building objects per row cost ~45% of a fetch page. */
type RawRow = readonly unknown[];

const DEVICE_COLUMNS = `d.serial, d.model, d.description, d.color, d.os, d.device_family, d.asset_tag, d.server_id,
  d.assigned_at, d.assigned_by, d.profile_uuid, d.profile_status, d.profile_assign_time, d.profile_push_time, d.disowned`;

/** The device in `row`, whose DEVICE_COLUMNS start at `offset`. */
function toDevice(row: RawRow, offset = 0): DeviceRecord {
  const text = (i: number) => row[offset + i] as string;
  const maybeText = (i: number) => row[offset + i] as string | null;
  const maybeTime = (i: number) => row[offset + i] as number | null;
  return {
    serial: text(0),
    model: text(1),
    description: text(2),
    color: text(3),
    os: text(4),
    deviceFamily: text(5),
    assetTag: maybeText(6),
    serverId: maybeText(7),
    assignedAt: maybeTime(8),
    assignedBy: maybeText(9),
    profileUuid: maybeText(10),
    profileStatus: text(11) as ProfileStatus,
    profileAssignTime: maybeTime(12),
    profilePushTime: maybeTime(13),
    disowned: row[offset + 14] === 1,
  };
}

export class DeviceStore {
  private readonly insertDevice;
  private readonly insertChange;
  private readonly insertChangeAt;
  private readonly findDevice;
  private readonly findAssignment;
  private readonly setAssignment;
  private readonly clearAssignment;
  private readonly setProfile;

  constructor(private readonly db: SandboxDb) {
    this.insertDevice = db.prepare(
      `INSERT OR IGNORE INTO devices
         (serial, model, description, color, os, device_family, server_id, assign_seq, assigned_at, assigned_by, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertChange = db.prepare('INSERT INTO changes (server_id, serial, op_type, op_date) VALUES (?, ?, ?, ?)');
    this.insertChangeAt = db.prepare(
      'INSERT INTO changes (seq, server_id, serial, op_type, op_date) VALUES (?, ?, ?, ?, ?)',
    );
    this.findDevice = db.prepare(`SELECT ${DEVICE_COLUMNS} FROM devices d WHERE d.serial = ?`).raw();
    this.findAssignment = db.prepare('SELECT server_id, disowned FROM devices WHERE serial = ?').raw();
    // A device that changes server starts with no profile: profiles belong to one MDM server.
    this.setAssignment = db.prepare(
      `UPDATE devices SET server_id = ?, assign_seq = ?, assigned_at = ?, assigned_by = ?,
         profile_uuid = NULL, profile_status = 'empty', profile_assign_time = NULL, profile_push_time = NULL
       WHERE serial = ?`,
    );
    this.clearAssignment = db.prepare(
      `UPDATE devices SET server_id = NULL, assign_seq = NULL, assigned_at = NULL, assigned_by = NULL,
         profile_uuid = NULL, profile_status = 'empty', profile_assign_time = NULL, profile_push_time = NULL,
         disowned = ?
       WHERE serial = ?`,
    );
    this.setProfile = db.prepare(
      'UPDATE devices SET profile_uuid = ?, profile_status = ?, profile_assign_time = ?, profile_push_time = ? WHERE serial = ?',
    );
  }

  /** The change-log position now: a fetch snapshot covers everything up to here. */
  currentSeq(): number {
    // sqlite_sequence never goes back, even when a deleted server takes its changes along.
    const row = this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").get() as
      { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  /**
   * `count` new devices with generated serials, assigned to `assignTo` if given. Serials are
   * sorted before insertion (B-tree appends are several times faster than random inserts);
   * the rare serial that already exists is replaced by a fresh one.
   */
  createGenerated(count: number, generator: DeviceGenerator, nowMs: number, assignTo?: Assignee): string[] {
    const created: string[] = [];
    this.db.transaction(() => {
      while (created.length < count) {
        const batch = new Map<string, CatalogDevice>();
        const wanted = count - created.length;
        while (batch.size < wanted) {
          const device = generator.next();
          batch.set(device.serial, device);
        }
        const sorted = [...batch.keys()].sort().map((serial) => batch.get(serial) as CatalogDevice);
        for (const serial of this.insertSorted(sorted, nowMs, assignTo)) created.push(serial);
      }
    })();
    return created;
  }

  /**
   * Devices with the given serials; serials that exist already are reported and left as they
   * are (assigning them is the caller's choice).
   */
  createWithSerials(
    serials: readonly string[],
    generator: DeviceGenerator,
    nowMs: number,
    assignTo?: Assignee,
  ): { created: string[]; existing: string[] } {
    const unique = [...new Set(serials)].sort();
    const created = this.db.transaction(() =>
      this.insertSorted(
        unique.map((serial) => generator.next(serial)),
        nowMs,
        assignTo,
      ),
    )();
    const made = new Set(created);
    return { created, existing: unique.filter((serial) => !made.has(serial)) };
  }

  /**
   * Inserts devices (sorted by serial) and returns the serials that were new. With `assignTo`
   * each new device gets its `added` change; the change positions are handed out up front
   * (the write transaction is exclusive, so the next positions are ours) and the change rows
   * written in a second pass: two sequential passes over two B-trees beat interleaving them
   * by about a third for a million devices.
   */
  private insertSorted(devices: readonly CatalogDevice[], nowMs: number, assignTo: Assignee | undefined): string[] {
    const created: string[] = [];
    const serverId = assignTo?.serverId ?? null;
    const adminId = assignTo?.adminId ?? null;
    const firstSeq = this.currentSeq() + 1;
    for (const { serial, model, description, color, os, deviceFamily } of devices) {
      const seq = assignTo === undefined ? null : firstSeq + created.length;
      const assignedAt = assignTo === undefined ? null : nowMs;
      const changes = this.insertDevice.run(
        serial,
        model,
        description,
        color,
        os,
        deviceFamily,
        serverId,
        seq,
        assignedAt,
        adminId,
        nowMs,
      ).changes;
      if (changes === 1) created.push(serial);
    }
    if (assignTo !== undefined) {
      created.forEach((serial, index) =>
        this.insertChangeAt.run(firstSeq + index, assignTo.serverId, serial, 'added', nowMs),
      );
    }
    return created;
  }

  get(serial: string): DeviceRecord | undefined {
    const row = this.findDevice.get(serial) as RawRow | undefined;
    return row === undefined ? undefined : toDevice(row);
  }

  /** ABM "Assign to MDM server" (also moves devices from another server). */
  assign(serverId: string, serials: readonly string[], nowMs: number, adminId: string): Map<string, AssignOutcome> {
    const outcomes = new Map<string, AssignOutcome>();
    this.db.transaction(() => {
      for (const serial of serials) {
        const state = this.findAssignment.get(serial) as [string | null, number] | undefined;
        if (state === undefined || state[1] === 1) {
          outcomes.set(serial, 'not_found');
          continue;
        }
        const [previous] = state;
        if (previous === serverId) {
          outcomes.set(serial, 'unchanged');
          continue;
        }
        if (previous !== null) this.insertChange.run(previous, serial, 'deleted', nowMs);
        const op: OpType = previous === null ? 'added' : 'modified';
        const seq = Number(this.insertChange.run(serverId, serial, op, nowMs).lastInsertRowid);
        this.setAssignment.run(serverId, seq, nowMs, adminId, serial);
        outcomes.set(serial, previous === null ? 'added' : 'moved');
      }
    })();
    return outcomes;
  }

  /** The first `count` unassigned devices (by serial), for the portal's "assign N devices". */
  unassignedSerials(count: number): string[] {
    const rows = this.db
      .prepare(
        'SELECT serial FROM devices INDEXED BY devices_unassigned WHERE server_id IS NULL AND disowned = 0 ORDER BY serial LIMIT ?',
      )
      .raw()
      .all(count) as Array<[string]>;
    return rows.map(([serial]) => serial);
  }

  serialsOf(serverId: string, limit = -1): string[] {
    const rows = this.db
      .prepare('SELECT serial FROM devices WHERE server_id = ? ORDER BY serial LIMIT ?')
      .raw()
      .all(serverId, limit) as Array<[string]>;
    return rows.map(([serial]) => serial);
  }

  /** ABM "Unassign": devices of this server go back to the organisation's unassigned pool. */
  unassign(serverId: string, serials: readonly string[], nowMs: number): Map<string, ServerDeviceOutcome> {
    return this.release(serverId, serials, nowMs, false);
  }

  /** DEP `POST /devices/disown`: the device leaves the organisation for good. */
  disown(serverId: string, serials: readonly string[], nowMs: number): Map<string, ServerDeviceOutcome> {
    return this.release(serverId, serials, nowMs, true);
  }

  private release(
    serverId: string,
    serials: readonly string[],
    nowMs: number,
    disown: boolean,
  ): Map<string, ServerDeviceOutcome> {
    const outcomes = new Map<string, ServerDeviceOutcome>();
    this.db.transaction(() => {
      for (const serial of serials) {
        const state = this.findAssignment.get(serial) as [string | null, number] | undefined;
        if (state === undefined || state[0] !== serverId) {
          outcomes.set(serial, 'NOT_ACCESSIBLE');
          continue;
        }
        this.insertChange.run(serverId, serial, 'deleted', nowMs);
        this.clearAssignment.run(disown ? 1 : 0, serial);
        outcomes.set(serial, 'SUCCESS');
      }
    })();
    return outcomes;
  }

  /** One fetch page: devices of the snapshot at `snapshotSeq`, by serial, after `afterSerial`. */
  fetchPage(
    serverId: string,
    snapshotSeq: number,
    afterSerial: string,
    limit: number,
  ): { devices: DeviceRecord[]; more: boolean } {
    const rows = this.db
      .prepare(
        `SELECT ${DEVICE_COLUMNS} FROM devices d INDEXED BY devices_server
         WHERE d.server_id = ? AND d.serial > ? AND d.assign_seq <= ? ORDER BY d.serial LIMIT ?`,
      )
      .raw()
      .all(serverId, afterSerial, snapshotSeq, limit + 1) as RawRow[];
    return { devices: rows.slice(0, limit).map((row) => toDevice(row)), more: rows.length > limit };
  }

  /** One sync page: this server's changes after `afterSeq`, oldest first. */
  syncPage(serverId: string, afterSeq: number, limit: number): { changes: ChangeRecord[]; more: boolean } {
    const rows = this.db
      .prepare(
        `SELECT c.seq AS change_seq, c.op_type, c.op_date, c.serial AS change_serial, ${DEVICE_COLUMNS}
         FROM changes c LEFT JOIN devices d ON d.serial = c.serial
         WHERE c.server_id = ? AND c.seq > ? ORDER BY c.seq LIMIT ?`,
      )
      .raw()
      .all(serverId, afterSeq, limit + 1) as RawRow[];
    return {
      changes: rows.slice(0, limit).map((row) => ({
        seq: row[0] as number,
        opType: row[1] as OpType,
        opDate: row[2] as number,
        serial: row[3] as string,
        // Devices are never deleted (disown only marks them), so the join always matches.
        device: row[4] === null ? undefined : toDevice(row, 4),
      })),
      more: rows.length > limit,
    };
  }

  /** DEP profile assignment: only devices assigned to this server can take its profiles. */
  assignProfile(
    serverId: string,
    serials: readonly string[],
    profileUuid: string,
    nowMs: number,
  ): Map<string, ServerDeviceOutcome> {
    return this.changeProfiles(serverId, serials, nowMs, () => [profileUuid, 'assigned', nowMs, null]);
  }

  /** DEP `DELETE /profile/devices`: status becomes `removed` and the profile is gone. */
  removeProfile(serverId: string, serials: readonly string[], nowMs: number): Map<string, ServerDeviceOutcome> {
    return this.changeProfiles(serverId, serials, nowMs, (device) => [null, 'removed', device.profileAssignTime, null]);
  }

  private changeProfiles(
    serverId: string,
    serials: readonly string[],
    nowMs: number,
    next: (device: DeviceRecord) => [string | null, ProfileStatus, number | null, number | null],
  ): Map<string, ServerDeviceOutcome> {
    const outcomes = new Map<string, ServerDeviceOutcome>();
    this.db.transaction(() => {
      for (const serial of serials) {
        const device = this.get(serial);
        if (device === undefined || device.serverId !== serverId) {
          outcomes.set(serial, 'NOT_ACCESSIBLE');
          continue;
        }
        this.setProfile.run(...next(device), serial);
        this.insertChange.run(serverId, serial, 'modified', nowMs);
        outcomes.set(serial, 'SUCCESS');
      }
    })();
    return outcomes;
  }

  /**
   * The device fetched its assigned profile during Setup Assistant: Apple then reports
   * `profile_status: pushed` with `profile_push_time` (apple-protocols.md §3, step 4). A
   * device that asks again (a retried activation, a second simulator run) changes nothing:
   * the push time stays that of the first fetch and the sync feed gets no second `modified`.
   */
  markPushed(serial: string, nowMs: number): PushOutcome {
    return this.db.transaction((): PushOutcome => {
      const device = this.get(serial);
      if (device === undefined || device.disowned) return 'not_found';
      if (device.serverId === null) return 'not_assigned_to_a_server';
      if (device.profileUuid === null) return 'no_profile';
      if (device.profileStatus === 'pushed') return 'already_pushed';
      this.setProfile.run(device.profileUuid, 'pushed', device.profileAssignTime, nowMs, serial);
      this.insertChange.run(device.serverId, serial, 'modified', nowMs);
      return 'pushed';
    })();
  }

  /** The portal's device table, by serial. `serverId` null lists unassigned devices. */
  list(
    filter: { serverId?: string | null },
    afterSerial: string,
    limit: number,
  ): { devices: DeviceRecord[]; more: boolean } {
    let rows: RawRow[];
    if (filter.serverId === undefined) {
      rows = this.db
        .prepare(
          `SELECT ${DEVICE_COLUMNS} FROM devices d WHERE d.disowned = 0 AND d.serial > ? ORDER BY d.serial LIMIT ?`,
        )
        .raw()
        .all(afterSerial, limit + 1) as RawRow[];
    } else if (filter.serverId === null) {
      rows = this.db
        .prepare(
          `SELECT ${DEVICE_COLUMNS} FROM devices d INDEXED BY devices_unassigned
           WHERE d.server_id IS NULL AND d.disowned = 0 AND d.serial > ? ORDER BY d.serial LIMIT ?`,
        )
        .raw()
        .all(afterSerial, limit + 1) as RawRow[];
    } else {
      rows = this.db
        .prepare(
          `SELECT ${DEVICE_COLUMNS} FROM devices d WHERE d.server_id = ? AND d.serial > ? ORDER BY d.serial LIMIT ?`,
        )
        .raw()
        .all(filter.serverId, afterSerial, limit + 1) as RawRow[];
    }
    return { devices: rows.slice(0, limit).map((row) => toDevice(row)), more: rows.length > limit };
  }

  unassignedCount(): number {
    return (
      this.db.prepare('SELECT count(*) AS n FROM devices WHERE server_id IS NULL AND disowned = 0').get() as {
        n: number;
      }
    ).n;
  }
}
