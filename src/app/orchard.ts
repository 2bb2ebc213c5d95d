import type { Config } from '../config/config.js';
import { AccountService } from '../domain/accounts.js';
import { systemClock, type Clock } from '../domain/clock.js';
import { CustomerService } from '../domain/customers.js';
import { DomainError } from '../domain/errors.js';
import { SecretStore } from '../domain/secrets.js';
import { loadKeyring, type KeyringSource } from '../security/master-key.js';
import { SecretBox } from '../security/secret-box.js';
import { migrateToLatest, openDb, type Db, type OpenOptions } from '../store/db.js';
import { repositoriesOf, transactorOf } from '../store/repositories/index.js';
import { AbmTokenService, type AppleAccountGateway } from '../domain/abm-tokens.js';
import { DepAccountGateway } from './apple-gateway.js';
import { ORCHARD_VERSION } from './version.js';

/** Everything a running Orchard is made of, wired once; the HTTP app and the CLI both use it. */
export interface Orchard {
  readonly config: Config;
  readonly db: Db;
  readonly clock: Clock;
  readonly keyringSource: KeyringSource;
  readonly customers: CustomerService;
  readonly accounts: AccountService;
  readonly secrets: SecretStore;
  readonly abmTokens: AbmTokenService;
  /** Where new ABM tokens talk to Apple's device assignment service. */
  readonly depBaseUrl: string;
  close(): Promise<void>;
}

export interface OrchardOptions {
  readonly clock?: Clock;
  readonly db?: OpenOptions;
  /** Apply migrations on open (serve does; a CLI command reading data does too). */
  readonly migrate?: boolean;
  /** Replaces the real Apple call, for tests of what Orchard does with Apple's answers. */
  readonly apple?: AppleAccountGateway;
}

export async function openOrchard(config: Config, options: OrchardOptions = {}): Promise<Orchard> {
  const clock = options.clock ?? systemClock;
  const { keyring, source } = await loadKeyring({
    ...(config.masterKey.current === undefined ? {} : { envKey: config.masterKey.current }),
    ...(config.masterKey.previous === undefined ? {} : { envPrevious: config.masterKey.previous }),
    dataDir: config.dataDir,
    allowGenerate: config.mode === 'development',
  });
  const db = openDb(config.database, options.db);
  try {
    if (options.migrate !== false) await migrateToLatest(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  const repositories = repositoriesOf(db.kysely);
  const secrets = new SecretStore(repositories.secrets, new SecretBox(keyring), clock);
  const depBaseUrl = config.sandbox
    ? `${config.publicBaseUrl}/sandbox/dep`
    : config.appleDepUrl.toString();
  return {
    config,
    db,
    clock,
    keyringSource: source,
    customers: new CustomerService(repositories.customers, repositories.sites, clock),
    accounts: new AccountService(
      repositories.users,
      repositories.sessions,
      repositories.apiKeys,
      repositories.loginThrottle,
      clock,
    ),
    secrets,
    abmTokens: new AbmTokenService({
      repositories,
      transactor: transactorOf(db.kysely),
      secrets,
      apple: options.apple ?? new DepAccountGateway(`Orchard/${ORCHARD_VERSION}`),
      clock,
      depBaseUrl,
    }),
    depBaseUrl,
    close: () => db.close(),
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
      await orchard.accounts.createUser({ email: adminEmail, password: adminPassword, role: 'admin' });
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
