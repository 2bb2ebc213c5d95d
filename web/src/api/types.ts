/** admin: everything; technician: changes within its customers; read_only: sees its customers, changes nothing. */
export type UserRole = 'admin' | 'technician' | 'read_only';

/** The signed-in user. */
export interface User {
  id: string;
  email: string;
  role: UserRole | (string & {});
  /** True: the server refuses every change (403 READ_ONLY), so the app offers none. */
  readOnly: boolean;
}

export interface Session {
  user: User;
  csrfToken: string;
}

/** A user as admins manage it (GET /users). */
export interface UserAccount {
  id: string;
  email: string;
  role: UserRole | (string & {});
  /** The customers a technician or read-only user sees; empty for admins. */
  customerIds: string[];
  /** False: invited, and no password chosen yet. */
  passwordSet: boolean;
  /** Set: the user cannot sign in. */
  disabledAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A one-time link with which a user chooses a password. The server keeps only its hash: it is shown once. */
export interface PasswordLink {
  url: string;
  purpose: 'invite' | 'reset';
  expiresAt: string;
}

export interface ApiKey {
  id: string;
  name: string;
  /** The first characters of the key, to recognise it by. */
  prefix: string;
  /** Null: a service key (bootstrap, automation) acting as an admin. */
  userId: string | null;
  userEmail: string | null;
  readOnly: boolean;
  createdAt: string;
  /** Null: never expires. */
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** One of the signed-in user's own sessions (GET /auth/sessions). */
export interface SessionInfo {
  id: string;
  /** The session of this browser. */
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  clientAddress: string | null;
  userAgent: string | null;
}

export interface Customer {
  id: string;
  name: string;
  siteCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface Site {
  id: string;
  customerId: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

/** A page of a cursor-paged list. `nextCursor` is absent on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** RFC 9457 problem details as Orchard sends them. */
export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  /** For VALIDATION_FAILED: the JSON name of the field refused, when the server names one. */
  field?: string;
}

/** GET /api/v1/system: facts about this Orchard installation. */
export interface SystemInfo {
  /** True when Orchard talks to its built-in Apple sandbox instead of Apple. */
  sandbox: boolean;
  /** A production Orchard with the sandbox on shows a warning banner on every page. */
  mode: 'development' | 'production';
  /** Where technicians sign in to Apple Business Manager (the sandbox ABM page in sandbox mode). */
  appleBusinessManagerUrl: string;
  version: string;
  /** Email reminders: configured when the server has ORCHARD_SMTP_URL; `from` is the From address it mails as. */
  email: { configured: boolean; from: string | null };
}

/** Who is mailed token reminders (expiring, expired, terms, rejected), as one digest a few minutes after the first. */
export interface EmailRecipient {
  id: string;
  /** Null: MSP-wide (admins only), mailed about every customer. */
  customerId: string | null;
  email: string;
  createdAt: string;
}

export type AbmTokenStatus =
  'awaiting_token' | 'active' | 'expiring_soon' | 'expired' | 'terms_not_accepted' | 'rejected' | 'unreachable';

/** An ABM server token: one MDM server in a customer's Apple Business Manager, bound to a Customer and Site. */
export interface AbmToken {
  id: string;
  customerId: string;
  customerName: string;
  siteId: string;
  siteName: string;
  status: AbmTokenStatus | (string & {});
  statusDetail: string | null;
  /** The MDM server's name in ABM; null until the server token is uploaded. */
  serverName: string | null;
  serverUuid: string | null;
  orgName: string | null;
  /** Apple ID of the ABM administrator who downloaded the token. */
  adminId: string | null;
  expiresAt: string | null;
  lastSyncAt: string | null;
  lastSyncError: string | null;
  deviceCount: number;
  /** Those current devices per enrollment state. */
  enrollmentCounts: Record<CurrentEnrollmentState, number>;
  /** The device sync with Apple: idle, or queued/running with its progress so far. */
  sync: AbmTokenSync;
  createdAt: string;
  updatedAt: string;
}

/** waiting_for_lease: an Orchard process that stopped still holds the sync until leaseExpiresAt. */
export type AbmTokenSyncState = 'idle' | 'queued' | 'running' | 'waiting_for_lease';

export interface AbmTokenSync {
  state: AbmTokenSyncState | (string & {});
  /** Pages of devices fetched from Apple so far in this sync. */
  pages: number;
  /** Devices fetched from Apple so far in this sync. */
  devices: number;
  startedAt: string | null;
  /** In waiting_for_lease: when the lease left behind runs out and the sync can start. */
  leaseExpiresAt: string | null;
}

/** The editable part of a token's default Setup Assistant profile (PUT …/enrollment-profile). */
export interface EnrollmentProfileInput {
  profileName: string;
  isSupervised: boolean;
  isMandatory: boolean;
  /** False keeps the user from removing the MDM profile; Apple allows that on supervised devices only. */
  isMdmRemovable: boolean;
  awaitDeviceConfigured: boolean;
  /** Apple's keys of the Setup Assistant panes to skip ("AppleID", "Siri", …). */
  skipSetupItems: string[];
  department: string | null;
  supportPhoneNumber: string | null;
  supportEmailAddress: string | null;
  /** ISO 639-1 language code, e.g. "en". */
  language: string | null;
  /** ISO 3166-1 alpha-2 region code, e.g. "US". */
  region: string | null;
  /**
   * "17.4": iPhones and iPads that can update during Setup Assistant (iOS 17+) and run an older
   * version are asked to update to it before they enroll. Null: no minimum.
   */
  minimumIosVersion: string | null;
  /** The same for Macs (macOS 14+). */
  minimumMacosVersion: string | null;
}

/** GET /api/v1/abm-tokens/{id}/enrollment-profile. */
export interface EnrollmentProfile extends EnrollmentProfileInput {
  /** Where devices enroll (the profile's url). */
  url: string;
  /** Apple's UUID for the profile once defined with Apple. */
  profileUuid: string | null;
  /** When the current version was defined with Apple. */
  definedAt: string | null;
  /** Why Apple refused the profile (or the last assignment), if it did. */
  lastError: string | null;
}

/**
 * Where the device is in Automated Device Enrollment: assigned and waiting; enrolling (it fetched
 * its enrollment profile and is getting its identity and checking in); enrolled; unenrolled (it
 * checked out or was erased); removed from ABM; released (its token was deleted from Orchard).
 */
export type DeviceEnrollmentState =
  'awaiting_enrollment' | 'enrolling' | 'enrolled' | 'unenrolled' | 'removed' | 'released';
/** The states a token's current devices (assigned in ABM, not released) can be in. */
export type CurrentEnrollmentState = 'awaiting_enrollment' | 'enrolling' | 'enrolled' | 'unenrolled';
/** Apple's profile_status for the device. */
export type DeviceProfileStatus = 'empty' | 'assigned' | 'pushed' | 'removed';
/** Orchard's own attempt to assign the token's profile to the device. */
export type DeviceProfileAssignStatus = 'pending' | 'assigned' | 'failed' | 'not_accessible';

/** A device assigned to a token's MDM server in Apple Business Manager. */
export interface Device {
  serialNumber: string;
  /** Apple Business Manager's facts: model ("iPhone 15"), description, color, OS family. */
  model: string | null;
  description: string | null;
  color: string | null;
  os: string | null;
  deviceFamily: string | null;
  assetTag: string | null;
  /** Null once released (its token was deleted). */
  abmTokenId: string | null;
  /** Null once released: the device no longer belongs to a token's Customer and Site. */
  customerId: string | null;
  customerName: string | null;
  siteId: string | null;
  siteName: string | null;
  serverName: string | null;
  profileStatus: DeviceProfileStatus | (string & {}) | null;
  profileUuid: string | null;
  profileAssignStatus: DeviceProfileAssignStatus | (string & {}) | null;
  profileAssignError: string | null;
  assignedAt: string | null;
  /** Who assigned the profile, as Apple reports it. */
  assignedBy: string | null;
  enrollmentState: DeviceEnrollmentState | (string & {});
  removedAt: string | null;
  enrolledAt: string | null;
  udid: string | null;
  /** What the device itself reported (MachineInfo, DeviceInformation); null until it did. */
  deviceName: string | null;
  /** "18.1" */
  osVersion: string | null;
  /** "22B83" */
  buildVersion: string | null;
  /** "iPhone", "MacBook Pro" */
  modelName: string | null;
  /** Apple's product identifier, "iPhone15,2". */
  productName: string | null;
  /** Its last check-in or command poll. */
  lastSeenAt: string | null;
  /** When DeviceConfigured released it from Setup Assistant. */
  setupReleasedAt: string | null;
  updatedAt: string;
}

export type DeviceCommandStatus = 'queued' | 'sent' | 'acknowledged' | 'error' | 'not_now' | 'canceled';

/** One entry of an MDM command's ErrorChain, as the device answered it. */
export interface CommandErrorChainItem {
  code: number | null;
  domain: string | null;
  description: string | null;
}

/** GET /api/v1/devices/{serial}/commands: an MDM command queued for the device. */
export interface DeviceCommand {
  commandUuid: string;
  /** "DeviceInformation", "DeviceConfigured", … */
  requestType: string;
  status: DeviceCommandStatus | (string & {});
  /** "orchard" for what Orchard queued itself, else who queued it. */
  queuedBy: string;
  queuedAt: string;
  sentAt: string | null;
  answeredAt: string | null;
  errorChain: CommandErrorChainItem[] | null;
}

export type EnrollmentEventKind =
  | 'profile_served'
  | 'profile_refused'
  | 'software_update_required'
  | 'identity_issued'
  | 'identity_refused'
  | 'authenticated'
  | 'enrolled'
  | 'released'
  | 'checked_out'
  | 'checkin_refused';

/** GET /api/v1/devices/{serial}/enrollment-events: one step of the device's enrollment, or a refusal. */
export interface EnrollmentEvent {
  id: string;
  kind: EnrollmentEventKind | (string & {});
  outcome: 'ok' | 'refused';
  /** What happened, or why it was refused. */
  detail: string | null;
  createdAt: string;
}

export interface DeviceScope {
  customerId?: string;
  siteId?: string;
  abmTokenId?: string;
}

export interface DeviceFilters extends DeviceScope {
  enrollmentState?: DeviceEnrollmentState;
  profileStatus?: DeviceProfileStatus;
  /** Serial number prefix. */
  q?: string;
}

/** GET /api/v1/devices/summary: counts in a scope (customer, site, token). */
export interface DeviceSummary {
  total: number;
  byEnrollmentState: Record<DeviceEnrollmentState, number>;
  byProfileStatus: Record<string, number>;
}

export interface AbmTokenFilters {
  customerId?: string;
  siteId?: string;
}

/**
 * What the audit trail records: AUDIT_ACTIONS in the server's src/domain/audit.ts. The web app's
 * labels (pages/auditLog/auditActions.ts) must name each one, so a new action fails to compile there.
 */
export type AuditAction =
  | 'customer.created'
  | 'customer.renamed'
  | 'customer.deleted'
  | 'site.created'
  | 'site.renamed'
  | 'site.deleted'
  | 'abm_token.created'
  | 'abm_token.public_key_downloaded'
  | 'abm_token.key_replaced'
  | 'abm_token.uploaded'
  | 'abm_token.renewed'
  | 'abm_token.moved'
  | 'abm_token.deleted'
  | 'abm_token.sync_requested'
  | 'abm_token.status_changed'
  | 'abm_token.sync_failing'
  | 'abm_token.sync_recovered'
  | 'enrollment_profile.updated'
  | 'user.created'
  | 'user.invited'
  | 'user.updated'
  | 'user.disabled'
  | 'user.enabled'
  | 'user.deleted'
  | 'user.password_link_created'
  | 'user.password_set_by_link'
  | 'user.password_changed'
  | 'api_key.created'
  | 'api_key.revoked'
  | 'webhook.created'
  | 'webhook.updated'
  | 'webhook.deleted'
  | 'webhook.disabled'
  | 'webhook.enabled';

/** Who made a change: a signed-in user, an API key, the command line, or Orchard itself. */
export interface AuditActor {
  kind: 'user' | 'api_key' | 'command_line' | 'orchard' | (string & {});
  userId: string | null;
  apiKeyId: string | null;
  /** As it read at the time: an email, 'API key "psa"', 'user@x.com, API key "psa"', 'Orchard'. */
  label: string;
  clientAddress: string | null;
}

/** GET /api/v1/audit-events: one change, newest first. */
export interface AuditEvent {
  id: string;
  occurredAt: string;
  actor: AuditActor;
  action: AuditAction | (string & {});
  /** What was changed, named as it was at the time. */
  target: {
    type: 'customer' | 'site' | 'abm_token' | 'user' | 'api_key' | 'webhook' | (string & {});
    id: string;
    label: string;
  };
  /** Null for entries about users, API keys and webhooks: only admins see those. */
  customerId: string | null;
  siteId: string | null;
  /** What changed (`{field: {from, to}}`), or more about it. */
  details: Record<string, unknown>;
}

export interface AuditEventFilters {
  customerId?: string;
  actorUserId?: string;
  action?: AuditAction;
  /** ISO date-time, inclusive. */
  from?: string;
  /** ISO date-time, exclusive. */
  until?: string;
}

/**
 * A receiver Orchard sends events to (admins only). `events` are event types
 * (pages/settings/webhooks/webhookEvents.ts names those this app knows).
 */
export interface Webhook {
  id: string;
  url: string;
  /** Empty when none was given. */
  description: string;
  events: string[];
  /** Null: events of every customer. */
  customerIds: string[] | null;
  /** Set: nothing new is sent (an admin disabled it, or Orchard did after a day of failures). */
  disabledAt: string | null;
  disabledReason: string | null;
  createdAt: string;
  updatedAt: string;
}

/** pending: not sent yet, or failed and to be tried again; failed: given up. */
export type WebhookDeliveryState = 'pending' | 'delivered' | 'failed';

/** One try at sending a delivery: the receiver's HTTP status, or why there was none. */
export interface WebhookDeliveryAttempt {
  attemptedAt: string;
  status: number | null;
  error: string | null;
  durationMs: number;
}

/** GET /api/v1/webhooks/{id}/deliveries: one event sent (or to be sent) to one webhook, newest first. */
export interface WebhookDelivery {
  /** The webhook-id header of every attempt: the receiver recognises a repeat by it. */
  id: string;
  eventId: string;
  eventType: string;
  state: WebhookDeliveryState | (string & {});
  attempts: number;
  /** While pending: when it is tried (again). */
  nextAttemptAt: string;
  /** Failing until then, it is given up (and the webhook disabled). */
  giveUpAt: string;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  finishedAt: string | null;
  /** Every attempt, oldest first. */
  attemptLog: WebhookDeliveryAttempt[];
}
