import { bootstrap } from '../app/orchard.js';
import { DEV_ADMIN, loadConfig } from '../config/config.js';
import { buildApp } from '../http/app.js';
import { housekeeping as housekeepingJob } from '../jobs/housekeeping.js';
import { TokenHealthMonitor } from '../jobs/token-health.js';
import { openWhenDatabaseAnswers } from './database.js';

export async function serveCommand(): Promise<void> {
  const config = loadConfig();
  const orchard = await openWhenDatabaseAnswers(config, (line) => process.stderr.write(`orchard: ${line}\n`));
  const app = await buildApp(orchard);
  const log = app.log;

  for (const line of await bootstrap(orchard)) log.info(line);
  if (config.bootstrap.adminEmail === DEV_ADMIN.email && (await orchard.accounts.userCount()) > 0) {
    log.info(`development sign-in: ${DEV_ADMIN.email} with the password from the README (unless you changed it)`);
  }

  const monitor = new TokenHealthMonitor(orchard.abmTokens, { intervalMs: config.tokenCheckIntervalMs, log });
  const housekeeping = housekeepingJob(orchard.accounts, log);
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
      await orchard.close();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  await app.listen({ host: config.host, port: config.port });
  monitor.start();
  housekeeping.start();
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
