import { randomBytes } from 'node:crypto';
import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * Devices synced from ABM, each token's enrollment profile, and each token's sync state
 * (cursor, schedule, lease). See src/sync/ for how they are written.
 */
// The defaults of that time (src/domain/enrollment-profiles.ts), frozen here.
const DEFAULT_SKIP = JSON.stringify(['Diagnostics', 'iCloudDiagnostics', 'ScreenTime', 'Siri', 'TOS']);

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  // Serials sort and prefix-match byte-wise on both engines: SQLite's BINARY collation, and
  // "C" on PostgreSQL, whose database default (en_US, say) would order "a-1" and "A1"
  // differently from SQLite and break the `serial >= q AND serial < q || U+FFFF` prefix range.
  const serialType = postgres ? sql`text collate "C"` : sql`text`;

  await db.schema
    .createTable('devices')
    .addColumn('serial_number', serialType, (c) => c.primaryKey())
    // null once released: the token was deleted, the device is kept.
    .addColumn('abm_token_id', 'text', (c) => c.references('abm_tokens.id').onDelete('restrict'))
    // Copied from the token so filters by customer or site are one index range at a million
    // devices; a released device keeps where it was, until that site or customer goes.
    .addColumn('customer_id', 'text', (c) => c.references('customers.id').onDelete('set null'))
    .addColumn('site_id', 'text', (c) => c.references('sites.id').onDelete('set null'))
    .addColumn('model', 'text')
    .addColumn('description', 'text')
    .addColumn('color', 'text')
    .addColumn('asset_tag', 'text')
    .addColumn('os', 'text')
    .addColumn('device_family', 'text')
    // Apple's view of the profile: empty | assigned | pushed | removed.
    .addColumn('profile_status', 'text')
    .addColumn('profile_uuid', 'text')
    .addColumn('profile_assign_time', 'text')
    .addColumn('profile_push_time', 'text')
    .addColumn('device_assigned_date', 'text')
    .addColumn('device_assigned_by', 'text')
    // The op_date of the last sync event applied; null when only a full fetch has been seen.
    .addColumn('op_date', 'text')
    .addColumn('op_type', 'text')
    // Which full fetch last saw the device: after a refetch, the token's devices it did not
    // see are gone from ABM.
    .addColumn('fetch_run', 'text')
    // Orchard's own attempt to assign the token's profile.
    .addColumn('profile_assign_status', 'text', (c) =>
      c.check(sql`profile_assign_status in ('pending', 'assigned', 'failed', 'not_accessible')`),
    )
    .addColumn('profile_assign_error', 'text')
    .addColumn('profile_assigned_at', 'text')
    .addColumn('profile_retry_at', 'text')
    .addColumn('enrollment_state', 'text', (c) =>
      c
        .notNull()
        .check(sql`enrollment_state in ('awaiting_enrollment', 'enrolled', 'unenrolled', 'removed', 'released')`),
    )
    // What MDM check-ins said (issue 6 writes it); enrollment_state follows it while the
    // device is in ABM.
    .addColumn('mdm_enrollment', 'text', (c) =>
      c
        .notNull()
        .defaultTo('none')
        .check(sql`mdm_enrollment in ('none', 'enrolled', 'unenrolled')`),
    )
    .addColumn('enrolled_at', 'text')
    .addColumn('udid', 'text')
    .addColumn('removed_at', 'text')
    .addColumn('released_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // Every list filter is an equality plus keyset paging on the serial: one index range each.
  for (const column of ['abm_token_id', 'customer_id', 'site_id', 'enrollment_state', 'profile_status']) {
    await db.schema
      .createIndex(`devices_${column}_serial_idx`)
      .on('devices')
      .columns([column, 'serial_number'])
      .execute();
  }
  // A token's current devices (its deviceCount, reconciliation after a refetch).
  await db.schema
    .createIndex('devices_current_idx')
    .on('devices')
    .column('abm_token_id')
    .where(sql.ref('removed_at'), 'is', null)
    .execute();
  // Devices waiting for the assigner: small, as almost every device is assigned.
  await db.schema
    .createIndex('devices_assign_idx')
    .on('devices')
    .columns(['abm_token_id', 'profile_assign_status'])
    .where(sql.ref('profile_assign_status'), '<>', 'assigned')
    .execute();

  await db.schema
    .createTable('enrollment_profiles')
    .addColumn('token_id', 'text', (c) => c.primaryKey().references('abm_tokens.id').onDelete('cascade'))
    // The unguessable part of the enrollment URL; /mdm/enroll/{key} is routed by it.
    .addColumn('enrollment_key', 'text', (c) => c.notNull().unique())
    // null: derived from the token's customer and site, so it follows a move.
    .addColumn('profile_name', 'text')
    .addColumn('is_supervised', 'integer', (c) => c.notNull())
    .addColumn('is_mandatory', 'integer', (c) => c.notNull())
    .addColumn('is_mdm_removable', 'integer', (c) => c.notNull())
    .addColumn('await_device_configured', 'integer', (c) => c.notNull())
    .addColumn('skip_setup_items', 'text', (c) => c.notNull())
    .addColumn('department', 'text')
    .addColumn('support_phone_number', 'text')
    .addColumn('support_email_address', 'text')
    .addColumn('language', 'text')
    .addColumn('region', 'text')
    // What Apple holds: the UUID of the last definition and a hash of what was sent.
    .addColumn('profile_uuid', 'text')
    .addColumn('defined_hash', 'text')
    .addColumn('defined_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sync_states')
    .addColumn('token_id', 'text', (c) => c.primaryKey().references('abm_tokens.id').onDelete('cascade'))
    // fetch + null cursor: a full fetch is due; fetch + cursor: one is under way; sync: incremental.
    .addColumn('phase', 'text', (c) => c.notNull().check(sql`phase in ('fetch', 'sync')`))
    .addColumn('cursor', 'text')
    .addColumn('fetch_run', 'text')
    .addColumn('next_run_at', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('run_started_at', 'text')
    .addColumn('run_finished_at', 'text')
    .addColumn('pages', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('devices', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sync_states_next_run_idx').on('sync_states').column('next_run_at').execute();

  // Tokens made before this migration get their profile settings and, when connected, a sync.
  const now = new Date().toISOString();
  const tokens = await sql<{ id: string; connected: number | boolean }>`
    select id, credentials_secret_id is not null as connected from abm_tokens`.execute(db);
  for (const token of tokens.rows) {
    await sql`insert into enrollment_profiles
      (token_id, enrollment_key, profile_name, is_supervised, is_mandatory, is_mdm_removable, await_device_configured,
       skip_setup_items, created_at, updated_at)
      values (${token.id}, ${randomBytes(32).toString('base64url')}, null, 1, 1, 0, 1, ${DEFAULT_SKIP}, ${now}, ${now})`.execute(
      db,
    );
    if (token.connected === true || token.connected === 1) {
      await sql`insert into sync_states (token_id, phase, next_run_at, created_at, updated_at)
        values (${token.id}, 'fetch', ${now}, ${now}, ${now})`.execute(db);
    }
  }
}
