import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { rebuildSqliteTable } from './sqlite-rebuild.js';

/**
 * Automated Device Enrollment (issue 9): the attempts a device makes at the enrollment URL,
 * the MDM enrollment its identity is bound to, the command queue, the enrollment timeline,
 * and Orchard's own signing identities. Devices gain the `enrolling` state and what they
 * reported about themselves.
 */
const STATE_BEFORE = `enrollment_state in ('awaiting_enrollment', 'enrolled', 'unenrolled', 'removed', 'released')`;
const STATE_AFTER = `enrollment_state in ('awaiting_enrollment', 'enrolling', 'enrolled', 'unenrolled', 'removed', 'released')`;
const MDM_BEFORE = `mdm_enrollment in ('none', 'enrolled', 'unenrolled')`;
const MDM_AFTER = `mdm_enrollment in ('none', 'enrolling', 'enrolled', 'unenrolled')`;

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  if (postgres) {
    await sql`alter table devices drop constraint devices_enrollment_state_check`.execute(db);
    await sql`alter table devices add constraint devices_enrollment_state_check check (${sql.raw(STATE_AFTER)})`.execute(db);
    await sql`alter table devices drop constraint devices_mdm_enrollment_check`.execute(db);
    await sql`alter table devices add constraint devices_mdm_enrollment_check check (${sql.raw(MDM_AFTER)})`.execute(db);
  } else {
    await rebuildSqliteTable(db, 'devices', [
      [STATE_BEFORE, STATE_AFTER],
      [MDM_BEFORE, MDM_AFTER],
    ]);
  }
  // What the device said about itself (MachineInfo, Authenticate, DeviceInformation).
  for (const column of ['device_name', 'os_version', 'build_version', 'model_name', 'product_name', 'last_seen_at']) {
    await db.schema.alterTable('devices').addColumn(column, 'text').execute();
  }

  await db.schema
    .alterTable('enrollment_profiles')
    .addColumn('minimum_ios_version', 'text')
    .execute();
  await db.schema
    .alterTable('enrollment_profiles')
    .addColumn('minimum_macos_version', 'text')
    .execute();

  // Orchard's device CA and profile signer; each key is a sealed secret.
  await db.schema
    .createTable('pki_identities')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('certificate_pem', 'text', (c) => c.notNull())
    .addColumn('private_key_secret_id', 'text', (c) => c.notNull().references('secrets.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  // One row per profile served: the MachineInfo facts and the SCEP challenge bound to it
  // (its hash; the challenge itself is only ever in the profile).
  await db.schema
    .createTable('enrollment_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_id', 'text', (c) => c.notNull().references('abm_tokens.id').onDelete('cascade'))
    .addColumn('serial_number', 'text', (c) => c.notNull().references('devices.serial_number').onDelete('cascade'))
    .addColumn('udid', 'text', (c) => c.notNull())
    .addColumn('product', 'text', (c) => c.notNull())
    .addColumn('build_version', 'text', (c) => c.notNull())
    .addColumn('os_version', 'text')
    .addColumn('imei', 'text')
    .addColumn('meid', 'text')
    .addColumn('language', 'text')
    .addColumn('signer_sha256', 'text', (c) => c.notNull())
    .addColumn('challenge_hash', 'text', (c) => c.notNull().unique())
    .addColumn('challenge_expires_at', 'text', (c) => c.notNull())
    .addColumn('challenge_used_at', 'text')
    // The identity SCEP issued for this attempt.
    .addColumn('identity_sha256', 'text', (c) => c.unique())
    .addColumn('identity_serial', 'text')
    .addColumn('identity_expires_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('enrollment_attempts_serial_idx')
    .on('enrollment_attempts')
    .columns(['serial_number', 'created_at'])
    .execute();

  // The device's MDM relationship: the identity bound at Authenticate and what TokenUpdate gave.
  await db.schema
    .createTable('mdm_enrollments')
    .addColumn('serial_number', 'text', (c) =>
      c.primaryKey().references('devices.serial_number').onDelete('cascade'),
    )
    .addColumn('udid', 'text', (c) => c.notNull().unique())
    .addColumn('attempt_id', 'text', (c) => c.references('enrollment_attempts.id').onDelete('set null'))
    .addColumn('identity_sha256', 'text', (c) => c.notNull().unique())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state in ('authenticated', 'enrolled', 'checked_out')`),
    )
    // Token, PushMagic and UnlockToken, sealed together; the bootstrap token on its own.
    .addColumn('push_secret_id', 'text', (c) => c.references('secrets.id'))
    .addColumn('bootstrap_secret_id', 'text', (c) => c.references('secrets.id'))
    .addColumn('awaiting_configuration', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('authenticated_at', 'text', (c) => c.notNull())
    .addColumn('enrolled_at', 'text')
    .addColumn('released_at', 'text')
    .addColumn('checked_out_at', 'text')
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('mdm_commands')
    .addColumn('command_uuid', 'text', (c) => c.primaryKey())
    .addColumn('serial_number', 'text', (c) => c.notNull().references('devices.serial_number').onDelete('cascade'))
    .addColumn('udid', 'text', (c) => c.notNull())
    // Order within the device's queue.
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('request_type', 'text', (c) => c.notNull())
    // The Command dictionary as sent, an XML plist.
    .addColumn('command', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('queued', 'sent', 'acknowledged', 'error', 'not_now', 'canceled')`),
    )
    // The device's whole answer (XML plist) and, for errors, its ErrorChain as JSON.
    .addColumn('result', 'text')
    .addColumn('error_chain', 'text')
    .addColumn('queued_by', 'text', (c) => c.notNull())
    .addColumn('queued_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addColumn('answered_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('mdm_commands_device_seq_idx')
    .on('mdm_commands')
    .columns(['serial_number', 'seq'])
    .unique()
    .execute();

  // The enrollment timeline, refusals included, for the device drawer.
  await db.schema
    .createTable('enrollment_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('serial_number', 'text', (c) => c.notNull().references('devices.serial_number').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('ok', 'refused')`))
    .addColumn('detail', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('enrollment_events_serial_idx')
    .on('enrollment_events')
    .columns(['serial_number', 'created_at'])
    .execute();
}
