import type { Kysely, Selectable } from 'kysely';
import type { Database, EnrollmentProfilesTable } from '../schema.js';

/** The settings a technician edits. `profileName` null: derived from the token's customer and site. */
export interface ProfileSettings {
  readonly profileName: string | null;
  readonly isSupervised: boolean;
  readonly isMandatory: boolean;
  readonly isMdmRemovable: boolean;
  readonly awaitDeviceConfigured: boolean;
  readonly skipSetupItems: readonly string[];
  readonly department: string | null;
  readonly supportPhoneNumber: string | null;
  readonly supportEmailAddress: string | null;
  readonly language: string | null;
  readonly region: string | null;
  /** Devices that can update before enrolling are asked to reach at least this version (null: no minimum). */
  readonly minimumIosVersion: string | null;
  readonly minimumMacosVersion: string | null;
}

export interface StoredProfile {
  readonly tokenId: string;
  readonly enrollmentKey: string;
  readonly settings: ProfileSettings;
  /** Apple's UUID of the last definition, and a hash of what was sent for it. */
  readonly profileUuid: string | null;
  readonly definedHash: string | null;
  readonly definedAt: string | null;
  readonly lastError: string | null;
  readonly updatedAt: string;
}

export interface EnrollmentProfileRepository {
  /** Stores the settings for a token that has none yet; nothing happens when it has. */
  ensure(tokenId: string, enrollmentKey: string, settings: ProfileSettings, now: string): Promise<void>;
  find(tokenId: string): Promise<StoredProfile | undefined>;
  findByEnrollmentKey(enrollmentKey: string): Promise<StoredProfile | undefined>;
  saveSettings(tokenId: string, settings: ProfileSettings, now: string): Promise<boolean>;
  recordDefined(tokenId: string, defined: { profileUuid: string; hash: string }, now: string): Promise<void>;
  recordError(tokenId: string, error: string | null, now: string): Promise<void>;
}

export class KyselyEnrollmentProfileRepository implements EnrollmentProfileRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async ensure(tokenId: string, enrollmentKey: string, settings: ProfileSettings, now: string): Promise<void> {
    await this.db
      .insertInto('enrollment_profiles')
      .values({
        token_id: tokenId,
        enrollment_key: enrollmentKey,
        ...settingsRow(settings),
        profile_uuid: null,
        defined_hash: null,
        defined_at: null,
        last_error: null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('token_id').doNothing())
      .execute();
  }

  async find(tokenId: string): Promise<StoredProfile | undefined> {
    const row = await this.db
      .selectFrom('enrollment_profiles')
      .selectAll()
      .where('token_id', '=', tokenId)
      .executeTakeFirst();
    return row === undefined ? undefined : toProfile(row);
  }

  async findByEnrollmentKey(enrollmentKey: string): Promise<StoredProfile | undefined> {
    const row = await this.db
      .selectFrom('enrollment_profiles')
      .selectAll()
      .where('enrollment_key', '=', enrollmentKey)
      .executeTakeFirst();
    return row === undefined ? undefined : toProfile(row);
  }

  async saveSettings(tokenId: string, settings: ProfileSettings, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable('enrollment_profiles')
      .set({ ...settingsRow(settings), last_error: null, updated_at: now })
      .where('token_id', '=', tokenId)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async recordDefined(tokenId: string, defined: { profileUuid: string; hash: string }, now: string): Promise<void> {
    await this.db
      .updateTable('enrollment_profiles')
      .set({
        profile_uuid: defined.profileUuid,
        defined_hash: defined.hash,
        defined_at: now,
        last_error: null,
        updated_at: now,
      })
      .where('token_id', '=', tokenId)
      .execute();
  }

  async recordError(tokenId: string, error: string | null, now: string): Promise<void> {
    await this.db
      .updateTable('enrollment_profiles')
      .set({ last_error: error, updated_at: now })
      .where('token_id', '=', tokenId)
      .execute();
  }
}

function settingsRow(s: ProfileSettings) {
  return {
    profile_name: s.profileName,
    is_supervised: s.isSupervised ? 1 : 0,
    is_mandatory: s.isMandatory ? 1 : 0,
    is_mdm_removable: s.isMdmRemovable ? 1 : 0,
    await_device_configured: s.awaitDeviceConfigured ? 1 : 0,
    skip_setup_items: JSON.stringify(s.skipSetupItems),
    department: s.department,
    support_phone_number: s.supportPhoneNumber,
    support_email_address: s.supportEmailAddress,
    language: s.language,
    region: s.region,
    minimum_ios_version: s.minimumIosVersion,
    minimum_macos_version: s.minimumMacosVersion,
  };
}

function toProfile(row: Selectable<EnrollmentProfilesTable>): StoredProfile {
  const skip: unknown = JSON.parse(row.skip_setup_items);
  return {
    tokenId: row.token_id,
    enrollmentKey: row.enrollment_key,
    settings: {
      profileName: row.profile_name,
      isSupervised: Number(row.is_supervised) === 1,
      isMandatory: Number(row.is_mandatory) === 1,
      isMdmRemovable: Number(row.is_mdm_removable) === 1,
      awaitDeviceConfigured: Number(row.await_device_configured) === 1,
      skipSetupItems: Array.isArray(skip) ? skip.filter((k): k is string => typeof k === 'string') : [],
      department: row.department,
      supportPhoneNumber: row.support_phone_number,
      supportEmailAddress: row.support_email_address,
      language: row.language,
      region: row.region,
      minimumIosVersion: row.minimum_ios_version,
      minimumMacosVersion: row.minimum_macos_version,
    },
    profileUuid: row.profile_uuid,
    definedHash: row.defined_hash,
    definedAt: row.defined_at,
    lastError: row.last_error,
    updatedAt: row.updated_at,
  };
}
