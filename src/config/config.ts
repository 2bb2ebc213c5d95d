import net from 'node:net';
import path from 'node:path';

/**
 * Orchard's configuration, read once from the environment at start.
 * Every problem is reported as one line naming the variable, so an operator
 * can fix a deployment from the process's last log line alone.
 */
export interface Config {
  readonly mode: 'development' | 'production';
  readonly host: string;
  readonly port: number;
  readonly publicUrl: URL;
  /** The public URL without a trailing slash, ready for `${publicBaseUrl}/path`. */
  readonly publicBaseUrl: string;
  readonly dataDir: string;
  readonly database: DatabaseConfig;
  readonly masterKey: { readonly current?: string; readonly previous?: string };
  readonly sandbox: boolean;
  readonly appleDepUrl: URL;
  readonly bootstrap: {
    readonly adminEmail?: string;
    readonly adminPassword?: string;
    readonly apiKey?: string;
  };
  readonly logLevel: string;
  /**
   * Orchard processes `orchard serve` runs on this machine, sharing its port and database
   * (ORCHARD_PROCESSES, default 1; cli/processes.ts). One Node process answers on one core.
   */
  readonly processes: number;
  /**
   * Which proxies' X-Forwarded-For/-Proto to believe (ORCHARD_TRUST_PROXY): false for none
   * (the socket address is the client), a number of proxy hops, or the proxies' addresses.
   */
  readonly trustProxy: TrustProxy;
  /** How often each connected ABM token is checked with Apple. */
  readonly tokenCheckIntervalMs: number;
  readonly sync: SyncConfig;
  /** ORCHARD_METRICS_TOKEN: the bearer token Prometheus sends for /metrics. */
  readonly metricsToken?: string;
  /** How long audit trail entries are kept (ORCHARD_AUDIT_RETENTION_DAYS, default 365). */
  readonly auditRetentionMs: number;
  /** One webhook delivery attempt's limit (ORCHARD_WEBHOOK_TIMEOUT_SECONDS, default 10). */
  readonly webhookTimeoutMs: number;
  /** Email reminders; null without ORCHARD_SMTP_URL. */
  readonly email: EmailConfig | null;
  readonly http: HttpTimeouts;
  readonly enrollment: EnrollmentConfig;
}

/** Automated Device Enrollment: what devices are told and whom Orchard trusts. */
export interface EnrollmentConfig {
  /**
   * The APNs push topic (ORCHARD_APNS_TOPIC, `com.apple.mgmt.External.<uuid>` from the MDM push
   * certificate). Null in production when unset: enrollment answers 503 until it is set. The
   * sandbox uses a placeholder topic of its own.
   */
  readonly apnsTopic: string | null;
  /** ORCHARD_DEVICE_TRUST_ANCHORS: a PEM bundle MachineInfo signers must chain to; null = Apple's roots built in. */
  readonly deviceTrustAnchorsFile: string | null;
  /** ORCHARD_PROFILE_SIGNING_CERT + ORCHARD_PROFILE_SIGNING_KEY (PEM files); null = a generated identity. */
  readonly profileSigning: { readonly certificateFile: string; readonly keyFile: string } | null;
  /** How long a served profile's SCEP challenge can be used (ORCHARD_SCEP_CHALLENGE_MINUTES, default 30). */
  readonly challengeTtlMs: number;
}

export interface EmailConfig {
  /** ORCHARD_SMTP_URL: `smtp://user:pass@host:587` or `smtps://…:465`. Holds a password: never logged. */
  readonly smtpUrl: string;
  /** ORCHARD_SMTP_FROM, default `Orchard <orchard@<public host>>`. */
  readonly from: string;
  /** A recipient's reminders wait this long for company, then go as one digest (ORCHARD_EMAIL_DIGEST_MINUTES, default 15). */
  readonly digestMs: number;
}

/** The sandbox's push topic: shaped like Apple's, owned by no one. */
export const SANDBOX_APNS_TOPIC = 'com.apple.mgmt.External.orchard-sandbox';

/**
 * How long a client may take to send a request, and keep an idle connection, before Orchard
 * closes it: without them a client that sends half a body holds its connection for good.
 */
export interface HttpTimeouts {
  /** The whole request, headers and body, must arrive within (ORCHARD_HTTP_REQUEST_TIMEOUT_SECONDS, default 60). */
  readonly requestMs: number;
  /** The headers must arrive within (ORCHARD_HTTP_HEADERS_TIMEOUT_SECONDS, default 15). */
  readonly headersMs: number;
  /** A body that stops arriving for this long is dropped (ORCHARD_HTTP_BODY_TIMEOUT_SECONDS, default 30). */
  readonly bodyIdleMs: number;
  /** An idle kept-alive connection is closed after (ORCHARD_HTTP_KEEP_ALIVE_TIMEOUT_SECONDS, default 10). */
  readonly keepAliveMs: number;
}

export interface SyncConfig {
  /** Between two device syncs of a token (ORCHARD_SYNC_INTERVAL_MINUTES, default 5). */
  readonly intervalMs: number;
  /** How long a process holds a token's sync without renewing (ORCHARD_SYNC_LEASE_SECONDS, default 60). */
  readonly leaseMs: number;
  /** Tokens one process syncs at once (ORCHARD_SYNC_CONCURRENCY, default 4). */
  readonly concurrency: number;
  /** Devices per DEP page (ORCHARD_SYNC_PAGE_SIZE, default and Apple's maximum 1000). */
  readonly pageSize: number;
}

export type TrustProxy = false | number | readonly string[];

export type DatabaseConfig =
  | { readonly engine: 'sqlite'; readonly file: string }
  | {
      readonly engine: 'postgres';
      readonly url: string;
      readonly timeouts: PostgresTimeouts;
      /** Connections per process (ORCHARD_DB_POOL_SIZE, default 10), shared by requests and syncs. */
      readonly poolSize: number;
    };

/** So that a database that is down, partitioned or stuck answers 503 in seconds, not minutes. */
export interface PostgresTimeouts {
  /** Opening a connection, or waiting for a free one (ORCHARD_DB_CONNECT_TIMEOUT_SECONDS, default 5). */
  readonly connectMs: number;
  /** One statement; migrations run without it (ORCHARD_DB_STATEMENT_TIMEOUT_SECONDS, default 30). */
  readonly statementMs: number;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** A variable that is set to an empty string counts as unset: that is what shells and compose files produce. */
function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function parsePort(env: Env): number {
  const raw = read(env, 'PORT');
  if (raw === undefined) return 8080;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) {
    throw new ConfigError('PORT', `must be a whole number from 1 to 65535 (got "${raw}")`);
  }
  return Number(raw);
}

function parseUrl(name: string, raw: string, protocols: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an absolute URL such as https://orchard.example.com (got "${raw}")`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')} (got "${raw}")`);
  }
  return url;
}

function parseFlag(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, `must be 1 or 0 (got "${raw}")`);
}

function parseWhole(env: Env, name: string, fallback: number, min: number, max: number, unit: string): number {
  const raw = read(env, name) ?? String(fallback);
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `must be a whole number${unit} from ${min} to ${max} (got "${raw}")`);
  }
  return Number(raw);
}

function parseDatabase(env: Env, dataDir: string): DatabaseConfig {
  const raw = read(env, 'DATABASE_URL');
  if (raw === undefined) return { engine: 'sqlite', file: path.join(dataDir, 'orchard.db') };
  if (/^postgres(ql)?:\/\//.test(raw)) {
    parseUrl('DATABASE_URL', raw, ['postgres:', 'postgresql:']);
    const timeouts = {
      connectMs: parseWhole(env, 'ORCHARD_DB_CONNECT_TIMEOUT_SECONDS', 5, 1, 300, ' of seconds') * 1000,
      statementMs: parseWhole(env, 'ORCHARD_DB_STATEMENT_TIMEOUT_SECONDS', 30, 1, 3600, ' of seconds') * 1000,
    };
    const poolSize = parseWhole(env, 'ORCHARD_DB_POOL_SIZE', 10, 2, 200, ' of connections');
    return { engine: 'postgres', url: raw, timeouts, poolSize };
  }
  if (raw.startsWith('sqlite:')) {
    const file = raw.slice('sqlite:'.length).replace(/^\/\//, '');
    if (file === '')
      throw new ConfigError('DATABASE_URL', 'sqlite: needs a file path, e.g. sqlite:/var/lib/orchard/orchard.db');
    return { engine: 'sqlite', file: path.resolve(file) };
  }
  throw new ConfigError('DATABASE_URL', 'must be a postgres:// URL (or unset for SQLite in ORCHARD_DATA_DIR)');
}

// proxy-addr's names for the private ranges, accepted as Fastify accepts them.
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * Never `true` (or a range holding every address): trusting every hop makes the client
 * address the leftmost X-Forwarded-For entry, which the client writes itself, and a
 * sign-in throttle keyed by it is evaded by changing the header.
 */
function parseTrustProxy(env: Env): TrustProxy {
  const name = 'ORCHARD_TRUST_PROXY';
  const raw = read(env, name);
  if (raw === undefined || ['false', '0', 'no', 'off'].includes(raw.toLowerCase())) return false;
  if (/^\d+$/.test(raw)) {
    if (Number(raw) > 32) throw new ConfigError(name, `must be a number of proxy hops from 1 to 32 (got "${raw}")`);
    return Number(raw);
  }
  if (['true', 'yes', 'on'].includes(raw.toLowerCase())) {
    throw new ConfigError(
      name,
      `must name the proxies to trust, not "${raw}": trusting every hop would let clients pick their address in X-Forwarded-For; give the number of proxy hops (e.g. 1) or the proxies' addresses`,
    );
  }
  const entries = raw.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const problem = proxyEntryProblem(entry);
    if (problem !== undefined) {
      throw new ConfigError(
        name,
        `must be false, a number of proxy hops, or a comma-separated list of proxy IPs/CIDRs (got "${raw}": ${problem})`,
      );
    }
  }
  return entries;
}

function proxyEntryProblem(entry: string): string | undefined {
  if (PROXY_RANGE_NAMES.includes(entry)) return undefined;
  const [address = '', prefix, ...extra] = entry.split('/');
  const version = net.isIP(address);
  if (version === 0 || extra.length > 0) return `"${entry}" is not an IP address or CIDR`;
  if (prefix === undefined) return undefined;
  const bits = version === 4 ? 32 : 128;
  if (!/^\d+$/.test(prefix) || Number(prefix) > bits) return `"${entry}" needs a prefix length from 1 to ${bits}`;
  if (Number(prefix) === 0) return `"${entry}" would trust every address`;
  return undefined;
}

function parseHttpTimeouts(env: Env): HttpTimeouts {
  const seconds = (name: string, fallback: number) => parseWhole(env, name, fallback, 1, 3600, ' of seconds') * 1000;
  const requestMs = seconds('ORCHARD_HTTP_REQUEST_TIMEOUT_SECONDS', 60);
  const headersMs = seconds('ORCHARD_HTTP_HEADERS_TIMEOUT_SECONDS', 15);
  // Node refuses a headers timeout longer than the request timeout it is part of.
  if (headersMs > requestMs) {
    throw new ConfigError(
      'ORCHARD_HTTP_HEADERS_TIMEOUT_SECONDS',
      `must not be longer than ORCHARD_HTTP_REQUEST_TIMEOUT_SECONDS (${requestMs / 1000})`,
    );
  }
  return {
    requestMs,
    headersMs,
    bodyIdleMs: seconds('ORCHARD_HTTP_BODY_TIMEOUT_SECONDS', 30),
    keepAliveMs: seconds('ORCHARD_HTTP_KEEP_ALIVE_TIMEOUT_SECONDS', 10),
  };
}

export const DEV_ADMIN = { email: 'admin@orchard.local', password: 'orchard-admin' } as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env): Config {
  const mode = read(env, 'NODE_ENV') === 'production' ? 'production' : 'development';
  const port = parsePort(env);
  const host = read(env, 'HOST') ?? (mode === 'production' ? '0.0.0.0' : '127.0.0.1');
  const dataDir = path.resolve(read(env, 'ORCHARD_DATA_DIR') ?? './data');

  const publicUrlRaw = read(env, 'ORCHARD_PUBLIC_URL');
  if (mode === 'production' && publicUrlRaw === undefined) {
    throw new ConfigError(
      'ORCHARD_PUBLIC_URL',
      'is required in production: set it to the https:// URL that browsers and devices use to reach Orchard',
    );
  }
  const publicUrl = parseUrl('ORCHARD_PUBLIC_URL', publicUrlRaw ?? `http://localhost:${port}`, ['http:', 'https:']);
  // Enrollment and sandbox URLs are built by appending paths: no trailing slash to double up.
  const publicBaseUrl = `${publicUrl.origin}${publicUrl.pathname.replace(/\/+$/, '')}`;

  const masterKey = read(env, 'ORCHARD_MASTER_KEY');
  if (mode === 'production' && masterKey === undefined) {
    throw new ConfigError(
      'ORCHARD_MASTER_KEY',
      'is required in production: set it to 32 random bytes in base64 (openssl rand -base64 32) and keep a copy in your password vault',
    );
  }

  const apiKey = read(env, 'ORCHARD_BOOTSTRAP_API_KEY');
  if (apiKey !== undefined && apiKey.length < 32) {
    throw new ConfigError('ORCHARD_BOOTSTRAP_API_KEY', `must be at least 32 characters (got ${apiKey.length})`);
  }
  let adminEmail = read(env, 'ORCHARD_BOOTSTRAP_ADMIN_EMAIL');
  let adminPassword = env['ORCHARD_BOOTSTRAP_ADMIN_PASSWORD'];
  if ((adminEmail === undefined) !== (adminPassword === undefined || adminPassword === '')) {
    throw new ConfigError(
      adminEmail === undefined ? 'ORCHARD_BOOTSTRAP_ADMIN_EMAIL' : 'ORCHARD_BOOTSTRAP_ADMIN_PASSWORD',
      'must be set together with its partner (ORCHARD_BOOTSTRAP_ADMIN_EMAIL and ORCHARD_BOOTSTRAP_ADMIN_PASSWORD)',
    );
  }

  // A newcomer's `npm start` must end on a sign-in page they can get past. The account is only
  // made while no user exists, and never in production.
  if (mode === 'development' && adminEmail === undefined) {
    adminEmail = DEV_ADMIN.email;
    adminPassword = DEV_ADMIN.password;
  }

  const logLevel = read(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }

  const checkMinutes = read(env, 'ORCHARD_TOKEN_CHECK_MINUTES') ?? '60';
  if (!/^\d+$/.test(checkMinutes) || Number(checkMinutes) < 1 || Number(checkMinutes) > 1440) {
    throw new ConfigError(
      'ORCHARD_TOKEN_CHECK_MINUTES',
      `must be a whole number of minutes from 1 to 1440 (got "${checkMinutes}")`,
    );
  }

  const metricsToken = read(env, 'ORCHARD_METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 32) {
    throw new ConfigError(
      'ORCHARD_METRICS_TOKEN',
      `must be at least 32 characters, e.g. from openssl rand -hex 32 (got ${metricsToken.length})`,
    );
  }

  const previous = read(env, 'ORCHARD_MASTER_KEY_PREVIOUS');
  return {
    mode,
    host,
    port,
    publicUrl,
    publicBaseUrl,
    dataDir,
    database: parseDatabase(env, dataDir),
    masterKey: {
      ...(masterKey === undefined ? {} : { current: masterKey }),
      ...(previous === undefined ? {} : { previous }),
    },
    sandbox: parseFlag(env, 'ORCHARD_SANDBOX', mode === 'development'),
    appleDepUrl: parseUrl('APPLE_DEP_URL', read(env, 'APPLE_DEP_URL') ?? 'https://mdmenrollment.apple.com', [
      'https:',
      'http:',
    ]),
    bootstrap: {
      ...(adminEmail === undefined ? {} : { adminEmail, adminPassword }),
      ...(apiKey === undefined ? {} : { apiKey }),
    },
    logLevel,
    processes: parseWhole(env, 'ORCHARD_PROCESSES', 1, 1, 64, ''),
    trustProxy: parseTrustProxy(env),
    tokenCheckIntervalMs: Number(checkMinutes) * 60_000,
    sync: {
      intervalMs: parseWhole(env, 'ORCHARD_SYNC_INTERVAL_MINUTES', 5, 1, 1440, ' of minutes') * 60_000,
      leaseMs: parseWhole(env, 'ORCHARD_SYNC_LEASE_SECONDS', 60, 2, 3600, ' of seconds') * 1000,
      concurrency: parseWhole(env, 'ORCHARD_SYNC_CONCURRENCY', 4, 1, 64, ''),
      pageSize: parseWhole(env, 'ORCHARD_SYNC_PAGE_SIZE', 1000, 1, 1000, ''),
    },
    http: parseHttpTimeouts(env),
    metricsToken,
    auditRetentionMs: parseWhole(env, 'ORCHARD_AUDIT_RETENTION_DAYS', 365, 1, 36500, ' of days') * 24 * 60 * 60 * 1000,
    webhookTimeoutMs: parseWhole(env, 'ORCHARD_WEBHOOK_TIMEOUT_SECONDS', 10, 1, 60, ' of seconds') * 1000,
    email: parseEmail(env, publicUrl),
    enrollment: parseEnrollment(env, parseFlag(env, 'ORCHARD_SANDBOX', mode === 'development')),
  };
}

function parseEmail(env: Env, publicUrl: URL): EmailConfig | null {
  const smtpUrl = read(env, 'ORCHARD_SMTP_URL');
  if (smtpUrl === undefined) return null;
  let protocol: string;
  try {
    protocol = new URL(smtpUrl).protocol;
  } catch {
    // Not the value: it holds a password.
    throw new ConfigError('ORCHARD_SMTP_URL', 'must be a URL like smtp://user:password@mail.example.com:587');
  }
  if (protocol !== 'smtp:' && protocol !== 'smtps:') {
    throw new ConfigError('ORCHARD_SMTP_URL', `must start with smtp:// or smtps:// (got ${protocol}//)`);
  }
  return {
    smtpUrl,
    from: read(env, 'ORCHARD_SMTP_FROM') ?? `Orchard <orchard@${publicUrl.hostname}>`,
    digestMs: parseWhole(env, 'ORCHARD_EMAIL_DIGEST_MINUTES', 15, 0, 1440, ' of minutes') * 60_000,
  };
}

function parseEnrollment(env: Env, sandbox: boolean): EnrollmentConfig {
  const topic = read(env, 'ORCHARD_APNS_TOPIC');
  if (topic !== undefined && !/^com\.apple\.mgmt\.[\x21-\x7e]+$/.test(topic)) {
    throw new ConfigError(
      'ORCHARD_APNS_TOPIC',
      `must be the topic of your MDM push certificate, starting "com.apple.mgmt." (got "${topic}")`,
    );
  }
  const certificateFile = read(env, 'ORCHARD_PROFILE_SIGNING_CERT');
  const keyFile = read(env, 'ORCHARD_PROFILE_SIGNING_KEY');
  if ((certificateFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError(
      certificateFile === undefined ? 'ORCHARD_PROFILE_SIGNING_CERT' : 'ORCHARD_PROFILE_SIGNING_KEY',
      'must be set together with its partner (ORCHARD_PROFILE_SIGNING_CERT and ORCHARD_PROFILE_SIGNING_KEY, PEM files)',
    );
  }
  const anchors = read(env, 'ORCHARD_DEVICE_TRUST_ANCHORS');
  return {
    apnsTopic: topic ?? (sandbox ? SANDBOX_APNS_TOPIC : null),
    deviceTrustAnchorsFile: anchors === undefined ? null : path.resolve(anchors),
    profileSigning:
      certificateFile === undefined || keyFile === undefined
        ? null
        : { certificateFile: path.resolve(certificateFile), keyFile: path.resolve(keyFile) },
    challengeTtlMs: parseWhole(env, 'ORCHARD_SCEP_CHALLENGE_MINUTES', 30, 1, 1440, ' of minutes') * 60_000,
  };
}
