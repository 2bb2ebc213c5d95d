import { sql, type Kysely } from 'kysely';
import type { Database, EnrollmentState, MdmEnrollment } from '../schema.js';

export interface ReportedFacts {
  readonly deviceName?: string | null;
  readonly osVersion?: string | null;
  readonly buildVersion?: string | null;
  readonly modelName?: string | null;
  readonly productName?: string | null;
}

/**
 * The enrollment's mark on the devices table. `mdm_enrollment` is what MDM said; the visible
 * `enrollment_state` follows it only while the device is in ABM (removed and released devices
 * keep saying so), the same rule the sync's upsert applies (`enrollmentStateFromMdm`).
 */
export interface DeviceEnrollmentStateRepository {
  /** The device's current place: the token it is on, unless removed or released. */
  findCurrent(
    serialNumber: string,
  ): Promise<{ tokenId: string | null; removed: boolean; released: boolean } | undefined>;
  setMdmState(
    serialNumber: string,
    state: Exclude<MdmEnrollment, 'none'>,
    extra: { udid?: string; enrolledAt?: string },
    now: string,
  ): Promise<void>;
  recordFacts(serialNumber: string, facts: ReportedFacts, now: string): Promise<void>;
  touch(serialNumber: string, now: string): Promise<void>;
}

const VISIBLE: Readonly<Record<Exclude<MdmEnrollment, 'none'>, EnrollmentState>> = {
  enrolling: 'enrolling',
  enrolled: 'enrolled',
  unenrolled: 'unenrolled',
};

export class KyselyDeviceEnrollmentStateRepository implements DeviceEnrollmentStateRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findCurrent(serialNumber: string) {
    const row = await this.db
      .selectFrom('devices')
      .select(['abm_token_id', 'removed_at', 'released_at'])
      .where('serial_number', '=', serialNumber)
      .executeTakeFirst();
    return row === undefined
      ? undefined
      : { tokenId: row.abm_token_id, removed: row.removed_at !== null, released: row.released_at !== null };
  }

  async setMdmState(
    serialNumber: string,
    state: Exclude<MdmEnrollment, 'none'>,
    extra: { udid?: string; enrolledAt?: string },
    now: string,
  ): Promise<void> {
    await this.db
      .updateTable('devices')
      .set({
        mdm_enrollment: state,
        enrollment_state: sql<EnrollmentState>`case when removed_at is null and released_at is null then ${VISIBLE[state]} else enrollment_state end`,
        ...(extra.udid === undefined ? {} : { udid: extra.udid }),
        ...(extra.enrolledAt === undefined ? {} : { enrolled_at: extra.enrolledAt }),
        last_seen_at: now,
        updated_at: now,
      })
      .where('serial_number', '=', serialNumber)
      .execute();
  }

  async recordFacts(serialNumber: string, facts: ReportedFacts, now: string): Promise<void> {
    const set: Record<string, string> = {};
    const columns: Record<keyof ReportedFacts, string> = {
      deviceName: 'device_name',
      osVersion: 'os_version',
      buildVersion: 'build_version',
      modelName: 'model_name',
      productName: 'product_name',
    };
    for (const [key, column] of Object.entries(columns)) {
      const value = facts[key as keyof ReportedFacts];
      // A fact the device did not send this time keeps what it said before.
      if (typeof value === 'string' && value !== '') set[column] = value;
    }
    await this.db
      .updateTable('devices')
      .set({ ...set, last_seen_at: now, updated_at: now })
      .where('serial_number', '=', serialNumber)
      .execute();
  }

  async touch(serialNumber: string, now: string): Promise<void> {
    await this.db.updateTable('devices').set({ last_seen_at: now }).where('serial_number', '=', serialNumber).execute();
  }
}
