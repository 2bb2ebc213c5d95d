import type { Kysely, Selectable } from 'kysely';
import type { Database, EnrollmentAttemptsTable } from '../schema.js';

export interface NewEnrollmentAttempt {
  readonly id: string;
  readonly tokenId: string;
  readonly serialNumber: string;
  readonly udid: string;
  readonly product: string;
  readonly buildVersion: string;
  readonly osVersion: string | null;
  readonly imei: string | null;
  readonly meid: string | null;
  readonly language: string | null;
  readonly signerSha256: string;
  readonly challengeHash: string;
  readonly challengeExpiresAt: string;
}

export interface EnrollmentAttempt extends NewEnrollmentAttempt {
  readonly challengeUsedAt: string | null;
  readonly identitySha256: string | null;
  readonly createdAt: string;
}

/** A profile served: its MachineInfo facts and the single-use SCEP challenge bound to it. */
export interface EnrollmentAttemptRepository {
  insert(attempt: NewEnrollmentAttempt, now: string): Promise<void>;
  findByChallengeHash(challengeHash: string): Promise<EnrollmentAttempt | undefined>;
  /**
   * Takes the challenge: succeeds for exactly one caller, and only while it is unused and
   * not expired at `now` (one UPDATE … WHERE, so two instances cannot both take it).
   */
  consumeChallenge(challengeHash: string, now: string): Promise<EnrollmentAttempt | undefined>;
  recordIdentity(attemptId: string, identity: { sha256: string; serial: string; expiresAt: string }): Promise<void>;
  findByIdentity(identitySha256: string): Promise<EnrollmentAttempt | undefined>;
  /** The device's newest attempt that got an identity: the one its current identity came from. */
  latestIssued(serialNumber: string): Promise<EnrollmentAttempt | undefined>;
}

export class KyselyEnrollmentAttemptRepository implements EnrollmentAttemptRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(a: NewEnrollmentAttempt, now: string): Promise<void> {
    await this.db
      .insertInto('enrollment_attempts')
      .values({
        id: a.id,
        token_id: a.tokenId,
        serial_number: a.serialNumber,
        udid: a.udid,
        product: a.product,
        build_version: a.buildVersion,
        os_version: a.osVersion,
        imei: a.imei,
        meid: a.meid,
        language: a.language,
        signer_sha256: a.signerSha256,
        challenge_hash: a.challengeHash,
        challenge_expires_at: a.challengeExpiresAt,
        created_at: now,
      })
      .execute();
  }

  async findByChallengeHash(challengeHash: string): Promise<EnrollmentAttempt | undefined> {
    const row = await this.db
      .selectFrom('enrollment_attempts')
      .selectAll()
      .where('challenge_hash', '=', challengeHash)
      .executeTakeFirst();
    return row === undefined ? undefined : toAttempt(row);
  }

  async consumeChallenge(challengeHash: string, now: string): Promise<EnrollmentAttempt | undefined> {
    const row = await this.db
      .updateTable('enrollment_attempts')
      .set({ challenge_used_at: now })
      .where('challenge_hash', '=', challengeHash)
      .where('challenge_used_at', 'is', null)
      .where('challenge_expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : toAttempt(row);
  }

  async recordIdentity(
    attemptId: string,
    identity: { sha256: string; serial: string; expiresAt: string },
  ): Promise<void> {
    await this.db
      .updateTable('enrollment_attempts')
      .set({
        identity_sha256: identity.sha256,
        identity_serial: identity.serial,
        identity_expires_at: identity.expiresAt,
      })
      .where('id', '=', attemptId)
      .execute();
  }

  async findByIdentity(identitySha256: string): Promise<EnrollmentAttempt | undefined> {
    const row = await this.db
      .selectFrom('enrollment_attempts')
      .selectAll()
      .where('identity_sha256', '=', identitySha256)
      .executeTakeFirst();
    return row === undefined ? undefined : toAttempt(row);
  }

  async latestIssued(serialNumber: string): Promise<EnrollmentAttempt | undefined> {
    const row = await this.db
      .selectFrom('enrollment_attempts')
      .selectAll()
      .where('serial_number', '=', serialNumber)
      .where('identity_sha256', 'is not', null)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? undefined : toAttempt(row);
  }
}

function toAttempt(row: Selectable<EnrollmentAttemptsTable>): EnrollmentAttempt {
  return {
    id: row.id,
    tokenId: row.token_id,
    serialNumber: row.serial_number,
    udid: row.udid,
    product: row.product,
    buildVersion: row.build_version,
    osVersion: row.os_version,
    imei: row.imei,
    meid: row.meid,
    language: row.language,
    signerSha256: row.signer_sha256,
    challengeHash: row.challenge_hash,
    challengeExpiresAt: row.challenge_expires_at,
    challengeUsedAt: row.challenge_used_at,
    identitySha256: row.identity_sha256,
    createdAt: row.created_at,
  };
}
