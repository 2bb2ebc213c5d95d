import type { Kysely } from 'kysely';
import type { Database, PkiIdentityName } from '../schema.js';

export interface StoredPkiIdentity {
  readonly name: PkiIdentityName;
  readonly certificatePem: string;
  readonly privateKeySecretId: string;
}

/** Orchard's own signing identities (device CA, profile signer); keys are sealed secrets. */
export interface PkiIdentityRepository {
  find(name: PkiIdentityName): Promise<StoredPkiIdentity | undefined>;
  /** Stores the identity unless one of that name exists; true when this one was stored. */
  insertIfAbsent(identity: StoredPkiIdentity, now: string): Promise<boolean>;
}

export class KyselyPkiIdentityRepository implements PkiIdentityRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async find(name: PkiIdentityName): Promise<StoredPkiIdentity | undefined> {
    const row = await this.db.selectFrom('pki_identities').selectAll().where('name', '=', name).executeTakeFirst();
    return row === undefined
      ? undefined
      : { name: row.name, certificatePem: row.certificate_pem, privateKeySecretId: row.private_key_secret_id };
  }

  async insertIfAbsent(identity: StoredPkiIdentity, now: string): Promise<boolean> {
    const result = await this.db
      .insertInto('pki_identities')
      .values({
        name: identity.name,
        certificate_pem: identity.certificatePem,
        private_key_secret_id: identity.privateKeySecretId,
        created_at: now,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }
}
