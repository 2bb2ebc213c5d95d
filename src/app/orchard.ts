import type { Config } from '../config/config.js';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { AccountService } from '../domain/accounts.js';
import { WebhookDeliverer } from '../domain/webhook-delivery.js';
import { WebhookService } from '../domain/webhooks.js';
import { NO_MAILER, smtpMailer, type Mailer } from '../domain/mailer.js';
import { EmailDigests, NotificationService } from '../domain/notifications.js';
import { AuditLog, ORCHARD } from '../domain/audit.js';
import { ApiKeyService } from '../domain/api-keys.js';
import { UserService } from '../domain/users.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { CustomerService } from '../domain/customers.js';
import { DomainError } from '../domain/errors.js';
import { SecretStore } from '../domain/secrets.js';
import { loadKeyring, type KeyringSource } from '../security/master-key.js';
import { SecretBox } from '../security/secret-box.js';
import { migrate, openDb, type Db, type OpenOptions } from '../store/db.js';
import { repositoriesOf, transactorOf } from '../store/repositories/index.js';
import { AbmTokenService, type AppleAccountGateway } from '../domain/abm-tokens.js';
import { DeviceService } from '../domain/devices.js';
import { EnrollmentProfileService } from '../domain/enrollment-profiles.js';
import { depClientFactory, type DepClientFactory } from '../sync/dep.js';
import { DEFAULT_SYNC_OPTIONS, SyncRunner, type SyncOptions } from '../sync/runner.js';
import { SyncScheduler, type SchedulerOptions } from '../sync/scheduler.js';
import { DepAccountGateway } from './apple-gateway.js';
import { ORCHARD_VERSION } from './version.js';
import { CheckIns } from '../domain/enrollment/check-ins.js';
import { ProfileRequests } from '../domain/enrollment/profile-requests.js';
import { ScepIssuer } from '../domain/enrollment/scep-issuer.js';
import { SigningIdentities } from '../domain/enrollment/signing-identities.js';
import { readProfileSigner } from './profile-signer.js';
import { sandboxDeviceCaCertificate } from '../sandbox/index.js';
import { machineInfoTrust } from './device-trust.js';

/** Everything a running Orchard is made of, wired once; the HTTP app and the CLI both use it. */
export interface Orchard {
  readonly config: Config;
  readonly db: Db;
  readonly clock: Clock;
  readonly keyringSource: KeyringSource;
  readonly customers: CustomerService;
  /** Sign-in, sessions and what each user does for itself. */
  readonly accounts: AccountService;
  /** Managing users (admins). */
  readonly users: UserService;
  readonly apiKeys: ApiKeyService;
  /** The audit trail, for reading (changes write their entries themselves). */
  readonly audit: AuditLog;
  readonly webhooks: WebhookService;
  readonly notifications: NotificationService;
  /** Mails pending reminders as digests; `orchard serve` runs it, tests call sendDue(). */
  readonly emailDigests: EmailDigests;
  /** Sends what the outbox holds; `orchard serve` runs it, tests call runPass(). */
  readonly deliverer: WebhookDeliverer;
  readonly secrets: SecretStore;
  readonly abmTokens: AbmTokenService;
  readonly devices: DeviceService;
  readonly enrollmentProfiles: EnrollmentProfileService;
  /** Automated Device Enrollment: the enrollment URL, SCEP, check-ins and commands. */
  readonly enrollment: {
    readonly profiles: ProfileRequests;
    readonly scep: ScepIssuer;
    readonly checkIns: CheckIns;
    readonly identities: SigningIdentities;
  };
  /** Device sync; `orchard serve` starts it, tests drive it with runUntilIdle(). */
  readonly sync: SyncScheduler;
  /** Where new ABM tokens talk to Apple's device assignment service. */
  readonly depBaseUrl: string;
  close(): Promise<void>;
}

export interface OrchardOptions {
  readonly clock?: Clock;
  readonly db?: OpenOptions;
  /** Apply migrations on open (serve does; a CLI command reading data does too). */
  readonly migrate?: boolean;
  /** Replaces the SMTP mailer of ORCHARD_SMTP_URL. */
  readonly mailer?: Mailer;
  /** Replaces the real Apple call, for tests of what Orchard does with Apple's answers. */
  readonly apple?: AppleAccountGateway;
  /** Replaces the DEP client the sync uses (tests: fakes, or the real one without sleeps). */
  readonly depClient?: DepClientFactory;
  /** Overrides of the sync's timing, for tests. */
  readonly sync?: Partial<SyncOptions & SchedulerOptions>;
}

export async function openOrchard(config: Config, options: OrchardOptions = {}): Promise<Orchard> {
  const clock = options.clock ?? systemClock;
  const { keyring, source } = await loadKeyring({
    ...(config.masterKey.current === undefined ? {} : { envKey: config.masterKey.current }),
    ...(config.masterKey.previous === undefined ? {} : { envPrevious: config.masterKey.previous }),
    dataDir: config.dataDir,
    allowGenerate: config.mode === 'development',
  });
  if (options.migrate !== false) await migrate(config.database, options.db);
  const db = openDb(config.database, {
    ...(config.database.engine === 'postgres' ? { poolSize: config.database.poolSize } : {}),
    ...options.db,
  });
  const repositories = repositoriesOf(db.kysely);
  const secrets = new SecretStore(repositories.secrets, new SecretBox(keyring), clock);
  const depBaseUrl = config.sandbox ? `${config.publicBaseUrl}/sandbox/dep` : config.appleDepUrl.toString();
  const transactor = transactorOf(db.kysely);
  const userAgent = `Orchard/${ORCHARD_VERSION}`;
  const enrollmentProfiles = new EnrollmentProfileService({
    repositories,
    transactor,
    clock,
    publicBaseUrl: config.publicBaseUrl,
    onChanged: async (tokenId) => {
      await repositories.syncStates.request(tokenId, clock.now().toISOString());
      sync.wake();
    },
  });
  const abmTokens = new AbmTokenService({
    repositories,
    transactor,
    secrets,
    apple: options.apple ?? new DepAccountGateway(userAgent),
    clock,
    depBaseUrl,
    onSyncRequested: () => sync.wake(),
    syncLeaseWorkedOn: (lease, now) => sync.isLeaseWorkedOn(lease, now),
  });
  const identities = new SigningIdentities({
    repositories,
    secrets,
    clock,
    ...(config.enrollment.profileSigning === null
      ? {}
      : { configuredProfileSigner: await readProfileSigner(config.enrollment.profileSigning) }),
  });
  const enrollment = {
    identities,
    profiles: new ProfileRequests({
      repositories,
      transactor,
      identities,
      trust: machineInfoTrust({
        file: config.enrollment.deviceTrustAnchorsFile,
        ...(config.sandbox ? { sandboxCa: () => sandboxDeviceCaCertificate({ dataDir: config.dataDir }) } : {}),
      }),
      clock,
      urls: {
        scep: `${config.publicBaseUrl}/mdm/scep`,
        checkIn: `${config.publicBaseUrl}/mdm/checkin`,
        server: `${config.publicBaseUrl}/mdm/connect`,
      },
      apnsTopic: config.enrollment.apnsTopic,
      challengeTtlMs: config.enrollment.challengeTtlMs,
      identifierBase: config.publicUrl.hostname.split('.').reverse().join('.'),
    }),
    scep: new ScepIssuer({ repositories, transactor, identities, clock }),
    checkIns: new CheckIns({
      repositories,
      transactor,
      secrets,
      identities,
      clock,
      apnsTopic: config.enrollment.apnsTopic,
    }),
  };
  const syncOptions: SyncOptions & SchedulerOptions = {
    ...DEFAULT_SYNC_OPTIONS,
    intervalMs: config.sync.intervalMs,
    pageSize: config.sync.pageSize,
    concurrency: config.sync.concurrency,
    leaseMs: config.sync.leaseMs,
    pollMs: Math.min(2000, Math.floor(config.sync.leaseMs / 2)),
    ...options.sync,
  };
  const sync: SyncScheduler = new SyncScheduler({
    runner: new SyncRunner({
      repositories,
      transactor,
      abmTokens,
      profiles: enrollmentProfiles,
      dep: options.depClient ?? depClientFactory({ userAgent, clock }),
      clock,
      options: syncOptions,
    }),
    states: repositories.syncStates,
    clock,
    options: syncOptions,
  });
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const mailer =
    options.mailer ?? (config.email === null ? NO_MAILER : smtpMailer(config.email.smtpUrl, config.email.from));
  const deliverer = new WebhookDeliverer({
    repositories,
    transactor,
    secrets,
    clock,
    options: {
      timeoutMs: config.webhookTimeoutMs,
      owner,
      userAgent: `Orchard-Webhooks/${ORCHARD_VERSION}`,
    },
  });
  return {
    config,
    db,
    clock,
    keyringSource: source,
    customers: new CustomerService(repositories.customers, repositories.sites, transactor, clock),
    accounts: new AccountService(
      repositories.users,
      repositories.sessions,
      repositories.apiKeys,
      repositories.loginThrottle,
      repositories.passwordLinks,
      transactor,
      clock,
    ),
    users: new UserService(repositories.users, repositories.customers, transactor, clock),
    apiKeys: new ApiKeyService(repositories.apiKeys, repositories.users, transactor, clock),
    audit: new AuditLog(repositories.auditEvents, clock, config.auditRetentionMs),
    webhooks: new WebhookService({
      repositories,
      transactor,
      secrets,
      clock,
      requireHttps: config.mode === 'production',
      onQueued: () => deliverer.workQueued(),
    }),
    deliverer,
    notifications: new NotificationService({ repositories, mailer, clock, publicBaseUrl: config.publicBaseUrl }),
    emailDigests: new EmailDigests({
      repositories,
      mailer,
      clock,
      digestMs: config.email?.digestMs ?? 0,
      owner,
      publicBaseUrl: config.publicBaseUrl,
    }),
    secrets,
    abmTokens,
    devices: new DeviceService(repositories.devices, repositories),
    enrollmentProfiles,
    enrollment,
    sync,
    depBaseUrl,
    close: async () => {
      await sync.stop();
      await db.close();
    },
  };
}

/**
 * First-start accounts from the environment. Idempotent: the admin is made only while no
 * user exists; the API key only if its hash is not stored yet.
 */
export async function bootstrap(orchard: Orchard): Promise<string[]> {
  const done: string[] = [];
  const { adminEmail, adminPassword, apiKey } = orchard.config.bootstrap;
  if (adminEmail !== undefined && adminPassword !== undefined && (await orchard.accounts.userCount()) === 0) {
    try {
      await orchard.users.createUser({ email: adminEmail, password: adminPassword, role: 'admin' }, ORCHARD);
      done.push(`created the first admin, ${adminEmail}`);
    } catch (error) {
      // Another instance starting at the same moment made it first.
      if (!(error instanceof DomainError && error.code === 'EMAIL_TAKEN')) throw error;
    }
  }
  if (apiKey !== undefined && (await orchard.accounts.ensureServiceApiKey(apiKey, 'bootstrap')) === 'created') {
    done.push('stored the bootstrap API key');
  }
  return done;
}
