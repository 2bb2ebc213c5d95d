import type { Kysely } from 'kysely';
import { isRetryableConflict } from '../errors.js';
import type { Database } from '../schema.js';
import { KyselyAbmTokenRepository, type AbmTokenRepository } from './abm-tokens.js';
import { KyselyApiKeyRepository, type ApiKeyRepository } from './api-keys.js';
import { KyselyAuditEventRepository, type AuditEventRepository } from './audit-events.js';
import { KyselyExpiryNoticeRepository, type ExpiryNoticeRepository } from './expiry-notices.js';
import { KyselyNotificationRepository, type NotificationRepository } from './notifications.js';
import { KyselyOutboxRepository, type OutboxRepository } from './outbox.js';
import { KyselyWebhookRepository, type WebhookRepository } from './webhooks.js';
import { KyselyCustomerRepository, type CustomerRepository } from './customers.js';
import { KyselyDeviceWriteRepository, type DeviceWriteRepository } from './device-writes.js';
import { KyselyDeviceRepository, type DeviceRepository } from './devices.js';
import { KyselyEnrollmentProfileRepository, type EnrollmentProfileRepository } from './enrollment-profiles.js';
import { KyselyLoginThrottleRepository, type LoginThrottleRepository } from './login-throttle.js';
import { KyselyPasswordLinkRepository, type PasswordLinkRepository } from './password-links.js';
import { KyselySecretRepository, type SecretRepository } from './secrets.js';
import { KyselySessionRepository, type SessionRepository } from './sessions.js';
import { KyselySiteRepository, type SiteRepository } from './sites.js';
import { KyselySyncStateRepository, type SyncStateRepository } from './sync-states.js';
import { KyselyUserRepository, type UserRepository } from './users.js';
import {
  KyselyDeviceEnrollmentStateRepository,
  type DeviceEnrollmentStateRepository,
} from './device-enrollment-state.js';
import { KyselyEnrollmentAttemptRepository, type EnrollmentAttemptRepository } from './enrollment-attempts.js';
import { KyselyEnrollmentEventRepository, type EnrollmentEventRepository } from './enrollment-events.js';
import { KyselyMdmCommandRepository, type MdmCommandRepository } from './mdm-commands.js';
import { KyselyMdmEnrollmentRepository, type MdmEnrollmentRepository } from './mdm-enrollments.js';
import { KyselyPkiIdentityRepository, type PkiIdentityRepository } from './pki-identities.js';

export interface Repositories {
  readonly customers: CustomerRepository;
  readonly sites: SiteRepository;
  readonly users: UserRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly sessions: SessionRepository;
  readonly passwordLinks: PasswordLinkRepository;
  readonly auditEvents: AuditEventRepository;
  readonly outbox: OutboxRepository;
  readonly notifications: NotificationRepository;
  readonly expiryNotices: ExpiryNoticeRepository;
  readonly webhooks: WebhookRepository;
  readonly loginThrottle: LoginThrottleRepository;
  readonly secrets: SecretRepository;
  readonly abmTokens: AbmTokenRepository;
  readonly devices: DeviceRepository;
  readonly deviceWrites: DeviceWriteRepository;
  readonly enrollmentProfiles: EnrollmentProfileRepository;
  readonly syncStates: SyncStateRepository;
  readonly pkiIdentities: PkiIdentityRepository;
  readonly enrollmentAttempts: EnrollmentAttemptRepository;
  readonly mdmEnrollments: MdmEnrollmentRepository;
  readonly mdmCommands: MdmCommandRepository;
  readonly enrollmentEvents: EnrollmentEventRepository;
  readonly deviceEnrollmentState: DeviceEnrollmentStateRepository;
}

export function repositoriesOf(db: Kysely<Database>): Repositories {
  return {
    customers: new KyselyCustomerRepository(db),
    sites: new KyselySiteRepository(db),
    users: new KyselyUserRepository(db),
    apiKeys: new KyselyApiKeyRepository(db),
    sessions: new KyselySessionRepository(db),
    passwordLinks: new KyselyPasswordLinkRepository(db),
    auditEvents: new KyselyAuditEventRepository(db),
    outbox: new KyselyOutboxRepository(db),
    notifications: new KyselyNotificationRepository(db),
    expiryNotices: new KyselyExpiryNoticeRepository(db),
    webhooks: new KyselyWebhookRepository(db),
    loginThrottle: new KyselyLoginThrottleRepository(db),
    secrets: new KyselySecretRepository(db),
    abmTokens: new KyselyAbmTokenRepository(db),
    devices: new KyselyDeviceRepository(db),
    deviceWrites: new KyselyDeviceWriteRepository(db),
    enrollmentProfiles: new KyselyEnrollmentProfileRepository(db),
    syncStates: new KyselySyncStateRepository(db),
    pkiIdentities: new KyselyPkiIdentityRepository(db),
    enrollmentAttempts: new KyselyEnrollmentAttemptRepository(db),
    mdmEnrollments: new KyselyMdmEnrollmentRepository(db),
    mdmCommands: new KyselyMdmCommandRepository(db),
    enrollmentEvents: new KyselyEnrollmentEventRepository(db),
    deviceEnrollmentState: new KyselyDeviceEnrollmentStateRepository(db),
  };
}

/** Runs work against repositories that share one database transaction: all of it commits, or none. */
export interface Transactor {
  transaction<T>(work: (repositories: Repositories) => Promise<T>): Promise<T>;
}

/** Attempts at a transaction PostgreSQL aborted to break a deadlock, before giving up. */
const CONFLICT_ATTEMPTS = 3;

/**
 * Transactions run again when PostgreSQL aborted them to resolve a deadlock or conflict:
 * the work given here must be database work only (it may run more than once).
 */
export function transactorOf(db: Kysely<Database>): Transactor {
  return {
    transaction: async (work) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await db.transaction().execute((tx) => work(repositoriesOf(tx)));
        } catch (error) {
          if (attempt >= CONFLICT_ATTEMPTS || !isRetryableConflict(error)) throw error;
        }
      }
    },
  };
}
