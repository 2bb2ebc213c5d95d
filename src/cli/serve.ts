import cluster from 'node:cluster';
import pino from 'pino';
import { bootstrap, type Orchard } from '../app/orchard.js';
import { DEV_ADMIN, loadConfig, type Config } from '../config/config.js';
import { buildApp } from '../http/app.js';
import { housekeeping as housekeepingJob } from '../jobs/housekeeping.js';
import { TokenHealthMonitor } from '../jobs/token-health.js';
import { WebhookWorker } from '../jobs/webhook-worker.js';
import { openWhenDatabaseAnswers } from './database.js';
import { STOP_MESSAGE, superviseProcesses } from './processes.js';

const printLine = (line: string) => process.stderr.write(`orchard: ${line}\n`);

export async function serveCommand(): Promise<void> {
  const config = loadConfig();
  if (cluster.isPrimary && config.processes > 1) {
    await superviseServe(config);
    return;
  }
  const orchard = await openWhenDatabaseAnswers(config, printLine);
  const app = await buildApp(orchard);
  const log = app.log;

  // Under a supervisor, it has done this once for all its processes.
  if (cluster.isPrimary) for (const line of await prepare(config, orchard)) log.info(line);

  const monitor = new TokenHealthMonitor(orchard.abmTokens, { intervalMs: config.tokenCheckIntervalMs, log });
  const housekeeping = housekeepingJob(orchard.accounts, orchard.audit, orchard.deliverer, log);
  const webhooks = new WebhookWorker(orchard.deliverer, orchard.abmTokens, orchard.emailDigests, log);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log.warn(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: finishing in-flight requests, then closing the database`);
    try {
      await app.close();
      await monitor.stop();
      await housekeeping.stop();
      await webhooks.stop();
      await orchard.close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  if (cluster.isWorker) {
    // The supervisor's stop may come after the same Ctrl-C or systemd's SIGTERM reached this
    // process directly: it is not a second signal, which would skip the in-flight requests.
    process.on('message', (message) => {
      if (message === STOP_MESSAGE && !stopping) void stop('stop from the supervisor');
    });
    // A supervisor that was killed can no longer hand this process connections.
    process.on('disconnect', () => {
      if (!stopping) void stop('supervisor gone');
    });
  }

  await app.listen({ host: config.host, port: config.port });
  monitor.start();
  housekeeping.start();
  webhooks.start();
  orchard.sync.start(log);
  const where = config.database.engine === 'sqlite' ? `SQLite at ${config.database.file}` : 'PostgreSQL';
  log.info(
    `Orchard is ready at ${config.publicUrl.toString()} (${config.mode}, ${where}, master key from ${orchard.keyringSource}${config.sandbox ? ', Apple sandbox on' : ''})`,
  );
  if (config.sandbox && config.mode === 'production') {
    log.warn(
      `ORCHARD_SANDBOX=1 in production: the simulated Apple at ${config.publicBaseUrl}/sandbox issues fake server tokens and devices to every signed-in user. Unset ORCHARD_SANDBOX unless this is a demo or staging server.`,
    );
  }
  const { enrollment } = config;
  const missing = [
    enrollment.apnsTopic === null ? 'ORCHARD_APNS_TOPIC (your MDM push certificate’s topic)' : null,
    enrollment.deviceTrustAnchorsFile === null && !config.sandbox
      ? "ORCHARD_DEVICE_TRUST_ANCHORS (Apple's device CA certificates, PEM)"
      : null,
  ].filter((m): m is string => m !== null);
  if (missing.length > 0) {
    log.warn(`devices cannot enroll until these are set: ${missing.join('; ')}. See "Enrollment" in the README.`);
  }
  if (enrollment.profileSigning === null && config.mode === 'production') {
    log.warn(
      'enrollment profiles are signed with a generated identity devices show as "Not Verified": set ORCHARD_PROFILE_SIGNING_CERT and ORCHARD_PROFILE_SIGNING_KEY to a certificate devices trust.',
    );
  }
}

/** Bootstrap (the first admin, the bootstrap API key) and what to tell whoever started Orchard. */
async function prepare(config: Config, orchard: Orchard): Promise<string[]> {
  const lines = await bootstrap(orchard);
  if (config.bootstrap.adminEmail === DEV_ADMIN.email && (await orchard.accounts.userCount()) > 0) {
    lines.push(`development sign-in: ${DEV_ADMIN.email} with the password from the README (unless you changed it)`);
  }
  return lines;
}

/**
 * ORCHARD_PROCESSES above 1: migrations and bootstrap run here, once, before any process
 * starts (two processes would otherwise race to create the first admin); then the processes
 * run `serve` themselves, and this one supervises them until a signal stops them all.
 */
async function superviseServe(config: Config): Promise<void> {
  const log = pino({ level: config.logLevel });
  const orchard = await openWhenDatabaseAnswers(config, printLine);
  try {
    for (const line of await prepare(config, orchard)) log.info(line);
  } finally {
    await orchard.close();
  }
  const supervision = superviseProcesses(config.processes, log);
  process.on('SIGTERM', () => supervision.stop('SIGTERM'));
  process.on('SIGINT', () => supervision.stop('SIGINT'));
  await supervision.ended;
  process.exit(0);
}
