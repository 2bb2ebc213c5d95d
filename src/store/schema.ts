import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Table shapes as both engines store them. Timestamps are ISO-8601 UTC strings with
 * milliseconds: they sort correctly as text and come back identical from SQLite and
 * PostgreSQL, so repositories need no per-engine conversion. `*_key` columns hold the
 * normalised form used for case-insensitive uniqueness, computed in TypeScript because
 * SQLite's lower() only folds ASCII.
 */
export interface CustomersTable {
  id: string;
  name: string;
  name_key: string;
  created_at: string;
  updated_at: string;
}

export interface SitesTable {
  id: string;
  customer_id: string;
  name: string;
  name_key: string;
  created_at: string;
  updated_at: string;
}

/**
 * Who may do what: an admin everything; a technician writes within its customers; a
 * read-only user sees its customers and changes nothing. The one list the API schema, the
 * store's CHECK (migration 0010) and the web app derive from.
 */
export const ROLES = ['admin', 'technician', 'read_only'] as const;
export type Role = (typeof ROLES)[number];

export interface UsersTable {
  id: string;
  email: string;
  email_key: string;
  /** null: invited, no password chosen yet (migration 0010). */
  password_hash: string | null;
  role: Role;
  created_at: string;
  updated_at: string;
  /** Set: cannot sign in; its sessions and API keys were ended when it was set. */
  disabled_at: string | null;
}

export interface UserCustomersTable {
  user_id: string;
  customer_id: string;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  prefix: string;
  key_hash: string;
  /** null: a service key (bootstrap / automation) acting as an admin. */
  user_id: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** null: never expires. */
  expires_at: string | null;
  /** 1: the key can only read, whatever its user may do. */
  read_only: number;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
  /** Where and in what the session was opened, for its user's list of sessions. */
  client_address: string | null;
  user_agent: string | null;
}

/** An audit trail entry (migration 0011); `details` is JSON: what changed, from and to. */
export interface AuditEventsTable {
  id: string;
  occurred_at: string;
  actor_kind: 'user' | 'api_key' | 'command_line' | 'orchard';
  actor_user_id: string | null;
  actor_api_key_id: string | null;
  actor_label: string;
  client_address: string | null;
  action: string;
  target_type: string;
  target_id: string;
  target_label: string;
  customer_id: string | null;
  site_id: string | null;
  details: string;
}

export interface WebhooksTable {
  id: string;
  url: string;
  description: string;
  /** JSON array of customer ids; null: every customer (and events of none). */
  customer_ids: string | null;
  /** The signing secret (`whsec_…`), sealed in `secrets`. */
  secret_id: string;
  disabled_at: string | null;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookEventTypesTable {
  webhook_id: string;
  event_type: string;
}

export interface OutboxEventsTable {
  id: string;
  type: string;
  occurred_at: string;
  customer_id: string | null;
  /** JSON: the event's `data`. */
  data: string;
  dispatched_at: string | null;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  /** The exact body sent on every attempt, so retries are byte-identical. */
  payload: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: string;
  give_up_at: string;
  lease_owner: string | null;
  lease_until: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface WebhookDeliveryAttemptsTable {
  id: string;
  delivery_id: string;
  attempted_at: string;
  status: number | null;
  error: string | null;
  duration_ms: number;
}

export interface AbmTokenExpiryNoticesTable {
  token_id: string;
  expires_at: string;
  days_before: number;
  sent_at: string;
}

export interface NotificationRecipientsTable {
  id: string;
  /** null: MSP-wide, mailed about every customer's tokens. */
  customer_id: string | null;
  email: string;
  email_key: string;
  created_at: string;
}

export interface EmailNotificationsTable {
  id: string;
  recipient: string;
  event_id: string;
  event_type: string;
  /** One line: which token and what happened. */
  headline: string;
  /** What to do: the token's status detail, word for word. */
  detail: string;
  created_at: string;
  lease_owner: string | null;
  lease_until: string | null;
  attempts: number;
  last_error: string | null;
  sent_at: string | null;
  failed_at: string | null;
}

export type PasswordLinkPurpose = 'invite' | 'reset';

/** One-time links to choose a password: only the hash of the link's token is kept. */
export interface PasswordLinksTable {
  id: string;
  user_id: string;
  token_hash: string;
  purpose: PasswordLinkPurpose;
  created_at: string;
  expires_at: string;
}

export interface LoginThrottleTable {
  subject: string;
  failures: number;
  window_started_at: string;
  locked_until: string | null;
}

/** Every secret Orchard keeps, sealed by the secret box; other tables point here. */
export interface SecretsTable {
  id: string;
  purpose: string;
  sealed: string;
  key_id: string;
  created_at: string;
  updated_at: string;
}

/** Apple's last answer when it was not a normal one (migrations 0002, 0004). */
export type AppleIssue = 'terms_not_accepted' | 'rejected' | 'expired' | 'unreachable';

export interface AbmTokensTable {
  id: string;
  customer_id: string;
  site_id: string;
  /** The DEP service this token talks to: Apple, or the sandbox it was made against. */
  dep_base_url: string;
  credentials_secret_id: string | null;
  server_name: string | null;
  server_uuid: string | null;
  org_name: string | null;
  org_email: string | null;
  admin_id: string | null;
  expires_at: string | null;
  apple_issue: AppleIssue | null;
  apple_issue_detail: string | null;
  apple_issue_at: string | null;
  connected_at: string | null;
  last_sync_at: string | null;
  last_sync_error: string | null;
  created_at: string;
  updated_at: string;
}

export type KeySlot = 'current' | 'staged';

export interface AbmTokenKeysTable {
  id: string;
  token_id: string;
  slot: KeySlot;
  certificate_pem: string;
  private_key_secret_id: string;
  created_at: string;
}

/** Where a device stands with Orchard; the one list the API schema, store and web app derive from. */
export const ENROLLMENT_STATES = [
  'awaiting_enrollment',
  'enrolling',
  'enrolled',
  'unenrolled',
  'removed',
  'released',
] as const;
export type EnrollmentState = (typeof ENROLLMENT_STATES)[number];
export type ProfileAssignStatus = 'pending' | 'assigned' | 'failed' | 'not_accessible';
export type MdmEnrollment = 'none' | 'enrolling' | 'enrolled' | 'unenrolled';
/** Apple's profile_status values; anything else Apple sends is stored as null. */
export type AppleProfileStatus = 'empty' | 'assigned' | 'pushed' | 'removed';

/** A device assigned in ABM to a token's MDM server (src/store/migrations/0003-devices.ts). */
export interface DevicesTable {
  serial_number: string;
  abm_token_id: string | null;
  customer_id: string | null;
  site_id: string | null;
  model: string | null;
  description: string | null;
  color: string | null;
  asset_tag: string | null;
  os: string | null;
  device_family: string | null;
  profile_status: string | null;
  profile_uuid: string | null;
  profile_assign_time: string | null;
  profile_push_time: string | null;
  device_assigned_date: string | null;
  device_assigned_by: string | null;
  op_date: string | null;
  op_type: string | null;
  fetch_run: string | null;
  profile_assign_status: ProfileAssignStatus | null;
  profile_assign_error: string | null;
  profile_assigned_at: string | null;
  profile_retry_at: string | null;
  enrollment_state: EnrollmentState;
  mdm_enrollment: Generated<MdmEnrollment>;
  enrolled_at: string | null;
  udid: string | null;
  removed_at: string | null;
  released_at: string | null;
  created_at: string;
  updated_at: string;
  /** What the device reported (MachineInfo, Authenticate, DeviceInformation); migration 0005. */
  device_name: string | null;
  os_version: string | null;
  build_version: string | null;
  model_name: string | null;
  product_name: string | null;
  last_seen_at: string | null;
}

/** Booleans are 0/1 integers on both engines. */
export interface EnrollmentProfilesTable {
  token_id: string;
  enrollment_key: string;
  profile_name: string | null;
  is_supervised: number;
  is_mandatory: number;
  is_mdm_removable: number;
  await_device_configured: number;
  /** JSON array of Apple skip keys. */
  skip_setup_items: string;
  department: string | null;
  support_phone_number: string | null;
  support_email_address: string | null;
  language: string | null;
  region: string | null;
  profile_uuid: string | null;
  defined_hash: string | null;
  defined_at: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  minimum_ios_version: string | null;
  minimum_macos_version: string | null;
}

export type SyncPhase = 'fetch' | 'sync';

export interface SyncStatesTable {
  token_id: string;
  phase: SyncPhase;
  cursor: string | null;
  fetch_run: string | null;
  next_run_at: string;
  requested_at: string | null;
  lease_owner: string | null;
  lease_until: string | null;
  run_started_at: string | null;
  run_finished_at: string | null;
  pages: Generated<number>;
  devices: Generated<number>;
  failures: Generated<number>;
  created_at: string;
  updated_at: string;
}

export type PkiIdentityName = 'device_ca' | 'profile_signer';

export interface PkiIdentitiesTable {
  name: PkiIdentityName;
  certificate_pem: string;
  private_key_secret_id: string;
  created_at: string;
}

export interface EnrollmentAttemptsTable {
  id: string;
  token_id: string;
  serial_number: string;
  udid: string;
  product: string;
  build_version: string;
  os_version: string | null;
  imei: string | null;
  meid: string | null;
  language: string | null;
  signer_sha256: string;
  challenge_hash: string;
  challenge_expires_at: string;
  challenge_used_at: string | null;
  identity_sha256: string | null;
  identity_serial: string | null;
  identity_expires_at: string | null;
  created_at: string;
}

export type MdmEnrollmentState = 'authenticated' | 'enrolled' | 'checked_out';

export interface MdmEnrollmentsTable {
  serial_number: string;
  udid: string;
  attempt_id: string | null;
  identity_sha256: string;
  topic: string;
  state: MdmEnrollmentState;
  push_secret_id: string | null;
  bootstrap_secret_id: string | null;
  awaiting_configuration: Generated<number>;
  authenticated_at: string;
  enrolled_at: string | null;
  released_at: string | null;
  checked_out_at: string | null;
  last_seen_at: string;
  updated_at: string;
}

export const COMMAND_STATUSES = ['queued', 'sent', 'acknowledged', 'error', 'not_now', 'canceled'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

export interface MdmCommandsTable {
  command_uuid: string;
  serial_number: string;
  udid: string;
  seq: number;
  request_type: string;
  command: string;
  status: CommandStatus;
  result: string | null;
  error_chain: string | null;
  queued_by: string;
  queued_at: string;
  sent_at: string | null;
  answered_at: string | null;
  updated_at: string;
}

export interface EnrollmentEventsTable {
  id: string;
  serial_number: string;
  kind: string;
  outcome: 'ok' | 'refused';
  detail: string | null;
  created_at: string;
}

/** Kept by triggers on `devices` (migration 0006); '' stands for null in the key. */
export interface DeviceCountsTable {
  abm_token_id: string;
  customer_id: string;
  site_id: string;
  enrollment_state: EnrollmentState;
  profile_status: string;
  /** 1 while the device is still on its token in ABM (removed_at is null). */
  is_current: number;
  n: number;
}

export interface Database {
  customers: CustomersTable;
  sites: SitesTable;
  users: UsersTable;
  user_customers: UserCustomersTable;
  api_keys: ApiKeysTable;
  sessions: SessionsTable;
  password_links: PasswordLinksTable;
  audit_events: AuditEventsTable;
  webhooks: WebhooksTable;
  webhook_event_types: WebhookEventTypesTable;
  outbox_events: OutboxEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_delivery_attempts: WebhookDeliveryAttemptsTable;
  abm_token_expiry_notices: AbmTokenExpiryNoticesTable;
  notification_recipients: NotificationRecipientsTable;
  email_notifications: EmailNotificationsTable;
  login_throttle: LoginThrottleTable;
  secrets: SecretsTable;
  abm_tokens: AbmTokensTable;
  abm_token_keys: AbmTokenKeysTable;
  devices: DevicesTable;
  device_counts: DeviceCountsTable;
  enrollment_profiles: EnrollmentProfilesTable;
  sync_states: SyncStatesTable;
  pki_identities: PkiIdentitiesTable;
  enrollment_attempts: EnrollmentAttemptsTable;
  mdm_enrollments: MdmEnrollmentsTable;
  mdm_commands: MdmCommandsTable;
  enrollment_events: EnrollmentEventsTable;
}

export type CustomerRow = Selectable<CustomersTable>;
export type SiteRow = Selectable<SitesTable>;
export type UserRow = Selectable<UsersTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type SessionRow = Selectable<SessionsTable>;
export type PasswordLinkRow = Selectable<PasswordLinksTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type SecretRow = Selectable<SecretsTable>;
export type NewSecretRow = Insertable<SecretsTable>;
export type SecretUpdate = Updateable<SecretsTable>;
