import type { Kysely } from 'kysely';

/**
 * Indexes enrollment state and profile status alone instead of each with the serial number.
 *
 * The (state, serial) and (status, serial) indexes served one query, every device of a state or
 * status without a customer, site or token, and cost every sync: Apple's serials arrive in no
 * order and nearly all new devices share one state and one status, so each page of 1,000 devices
 * dirtied about 1,000 scattered pages of each index, and recording the assignment moved every
 * device within the status index again. Dropping them took a sync of 200 tokens × 1,000 devices
 * on SQLite from 29 s to 19 s, and its commits from 11.6 s to 4 s (`bench/sync-full.ts`).
 *
 * An index on the state alone orders equal states by row (SQLite's rowid, PostgreSQL's heap
 * position), which grows as devices are added: a page's devices land side by side at the end of
 * their state's run, a few index pages per page of devices. It finds a rare state's devices
 * without reading the table; `DeviceRepository.list` uses it only then, and walks the serial
 * index for a common one (the maintained counts say which).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('devices_enrollment_state_serial_idx').ifExists().execute();
  await db.schema.dropIndex('devices_profile_status_serial_idx').ifExists().execute();
  await db.schema.createIndex('devices_enrollment_state_idx').on('devices').column('enrollment_state').execute();
  await db.schema.createIndex('devices_profile_status_idx').on('devices').column('profile_status').execute();
}
