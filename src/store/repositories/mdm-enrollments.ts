import type { Kysely, Selectable } from 'kysely';
import type { Database, MdmEnrollmentsTable } from '../schema.js';

interface EnrollmentBase {
  readonly serialNumber: string;
  readonly udid: string;
  readonly attemptId: string | null;
  /** SHA-256 of the identity certificate bound at Authenticate; every later message must be signed by it. */
  readonly identitySha256: string;
  readonly topic: string;
  readonly pushSecretId: string | null;
  readonly bootstrapSecretId: string | null;
  readonly awaitingConfiguration: boolean;
  readonly authenticatedAt: string;
  readonly releasedAt: string | null;
  readonly lastSeenAt: string;
}

/** A device's MDM relationship: authenticated, then enrolled at its first TokenUpdate, until it checks out. */
export type MdmEnrollment =
  | (EnrollmentBase & { readonly state: 'authenticated' })
  | (EnrollmentBase & { readonly state: 'enrolled'; readonly enrolledAt: string })
  | (EnrollmentBase & { readonly state: 'checked_out'; readonly checkedOutAt: string });

export interface Authentication {
  readonly serialNumber: string;
  readonly udid: string;
  readonly attemptId: string;
  readonly identitySha256: string;
  readonly topic: string;
}

export interface MdmEnrollmentRepository {
  findByUdid(udid: string): Promise<MdmEnrollment | undefined>;
  findBySerial(serialNumber: string): Promise<MdmEnrollment | undefined>;
  findByIdentity(identitySha256: string): Promise<MdmEnrollment | undefined>;
  /** Starts (or restarts, after a wipe) the device's enrollment; returns the secrets the old one held. */
  authenticate(auth: Authentication, now: string): Promise<{ staleSecretIds: string[] }>;
  /**
   * Stores a TokenUpdate. `first` is true for exactly one caller: the one whose update moved
   * the enrollment from authenticated to enrolled (decided by the UPDATE's WHERE, so two
   * instances given the same TokenUpdate cannot both see themselves first).
   */
  enroll(
    serialNumber: string,
    update: { pushSecretId: string; awaitingConfiguration: boolean },
    now: string,
  ): Promise<{ first: boolean }>;
  checkOut(serialNumber: string, now: string): Promise<void>;
  setBootstrapSecret(serialNumber: string, secretId: string | null, now: string): Promise<void>;
  markReleased(serialNumber: string, now: string): Promise<void>;
  /** Moves the binding to a renewed identity (SCEP RenewalReq signed by the current one). */
  rebind(serialNumber: string, fromSha256: string, toSha256: string, now: string): Promise<boolean>;
  touch(serialNumber: string, now: string): Promise<void>;
}

export class KyselyMdmEnrollmentRepository implements MdmEnrollmentRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findByUdid(udid: string): Promise<MdmEnrollment | undefined> {
    const row = await this.db.selectFrom('mdm_enrollments').selectAll().where('udid', '=', udid).executeTakeFirst();
    return row === undefined ? undefined : toEnrollment(row);
  }

  async findBySerial(serialNumber: string): Promise<MdmEnrollment | undefined> {
    const row = await this.db
      .selectFrom('mdm_enrollments')
      .selectAll()
      .where('serial_number', '=', serialNumber)
      .executeTakeFirst();
    return row === undefined ? undefined : toEnrollment(row);
  }

  async findByIdentity(identitySha256: string): Promise<MdmEnrollment | undefined> {
    const row = await this.db
      .selectFrom('mdm_enrollments')
      .selectAll()
      .where('identity_sha256', '=', identitySha256)
      .executeTakeFirst();
    return row === undefined ? undefined : toEnrollment(row);
  }

  async authenticate(auth: Authentication, now: string): Promise<{ staleSecretIds: string[] }> {
    const previous = await this.db
      .selectFrom('mdm_enrollments')
      .select(['push_secret_id', 'bootstrap_secret_id'])
      .where((eb) => eb.or([eb('serial_number', '=', auth.serialNumber), eb('udid', '=', auth.udid)]))
      .execute();
    await this.db
      .deleteFrom('mdm_enrollments')
      .where((eb) => eb.or([eb('serial_number', '=', auth.serialNumber), eb('udid', '=', auth.udid)]))
      .execute();
    await this.db
      .insertInto('mdm_enrollments')
      .values({
        serial_number: auth.serialNumber,
        udid: auth.udid,
        attempt_id: auth.attemptId,
        identity_sha256: auth.identitySha256,
        topic: auth.topic,
        state: 'authenticated',
        authenticated_at: now,
        last_seen_at: now,
        updated_at: now,
      })
      .execute();
    return {
      staleSecretIds: previous.flatMap((r) =>
        [r.push_secret_id, r.bootstrap_secret_id].filter((id): id is string => id !== null),
      ),
    };
  }

  async enroll(
    serialNumber: string,
    update: { pushSecretId: string; awaitingConfiguration: boolean },
    now: string,
  ): Promise<{ first: boolean }> {
    const first = await this.db
      .updateTable('mdm_enrollments')
      .set({
        state: 'enrolled',
        push_secret_id: update.pushSecretId,
        awaiting_configuration: update.awaitingConfiguration ? 1 : 0,
        enrolled_at: now,
        last_seen_at: now,
        updated_at: now,
      })
      .where('serial_number', '=', serialNumber)
      .where('state', '=', 'authenticated')
      .executeTakeFirst();
    if (first.numUpdatedRows > 0n) return { first: true };
    // A later TokenUpdate (the push token rotated): new credentials, the same enrollment.
    await this.db
      .updateTable('mdm_enrollments')
      .set({
        push_secret_id: update.pushSecretId,
        awaiting_configuration: update.awaitingConfiguration ? 1 : 0,
        last_seen_at: now,
        updated_at: now,
      })
      .where('serial_number', '=', serialNumber)
      .where('state', '=', 'enrolled')
      .execute();
    return { first: false };
  }

  async checkOut(serialNumber: string, now: string): Promise<void> {
    await this.db
      .updateTable('mdm_enrollments')
      .set({ state: 'checked_out', checked_out_at: now, last_seen_at: now, updated_at: now })
      .where('serial_number', '=', serialNumber)
      .execute();
  }

  async setBootstrapSecret(serialNumber: string, secretId: string | null, now: string): Promise<void> {
    await this.db
      .updateTable('mdm_enrollments')
      .set({ bootstrap_secret_id: secretId, last_seen_at: now, updated_at: now })
      .where('serial_number', '=', serialNumber)
      .execute();
  }

  async markReleased(serialNumber: string, now: string): Promise<void> {
    await this.db
      .updateTable('mdm_enrollments')
      .set({ released_at: now, awaiting_configuration: 0, updated_at: now })
      .where('serial_number', '=', serialNumber)
      .execute();
  }

  async rebind(serialNumber: string, fromSha256: string, toSha256: string, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable('mdm_enrollments')
      .set({ identity_sha256: toSha256, updated_at: now })
      .where('serial_number', '=', serialNumber)
      .where('identity_sha256', '=', fromSha256)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async touch(serialNumber: string, now: string): Promise<void> {
    await this.db
      .updateTable('mdm_enrollments')
      .set({ last_seen_at: now })
      .where('serial_number', '=', serialNumber)
      .execute();
  }
}

function toEnrollment(row: Selectable<MdmEnrollmentsTable>): MdmEnrollment {
  const base: EnrollmentBase = {
    serialNumber: row.serial_number,
    udid: row.udid,
    attemptId: row.attempt_id,
    identitySha256: row.identity_sha256,
    topic: row.topic,
    pushSecretId: row.push_secret_id,
    bootstrapSecretId: row.bootstrap_secret_id,
    awaitingConfiguration: Number(row.awaiting_configuration) === 1,
    authenticatedAt: row.authenticated_at,
    releasedAt: row.released_at,
    lastSeenAt: row.last_seen_at,
  };
  if (row.state === 'enrolled')
    return { ...base, state: 'enrolled', enrolledAt: row.enrolled_at ?? row.authenticated_at };
  if (row.state === 'checked_out') {
    return { ...base, state: 'checked_out', checkedOutAt: row.checked_out_at ?? row.updated_at };
  }
  return { ...base, state: 'authenticated' };
}
