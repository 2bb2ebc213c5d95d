import type { Kysely } from 'kysely';

/**
 * Drops the (enrollment_state, serial) and (profile_status, serial) indexes.
 *
 * They served one query, every device of a state or status without a customer, site or token
 * (`DeviceRepository.list` now reads the maintained counts to choose its plan instead). Their
 * cost was every sync: Apple's serials arrive in no order, and nearly all new devices share one
 * state and one status, so each page of 1,000 devices dirtied about 1,000 scattered pages of
 * each index, and recording the assignment moved every device within the status index again.
 * Without them a sync of 200 tokens × 1,000 devices on SQLite took 19 s instead of 29 s, and its
 * commits 4 s instead of 11.6 s (`bench/sync-full.ts`, issue 10).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('devices_enrollment_state_serial_idx').ifExists().execute();
  await db.schema.dropIndex('devices_profile_status_serial_idx').ifExists().execute();
}
