import type { FastifyBaseLogger } from 'fastify';
import type { AccountService } from '../domain/accounts.js';
import type { AuditLog } from '../domain/audit.js';
import type { WebhookDeliverer } from '../domain/webhook-delivery.js';
import { PeriodicJob } from './periodic.js';

/** Stale sessions and throttle rows are harmless meanwhile; an hour keeps the tables small. */
const HOUSEKEEPING_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Deletes rows that have stopped meaning anything (expired sessions, forgotten sign-in
 * throttle counts, audit entries past their retention), so tables that every visitor can add to do not grow for ever. Each
 * instance runs it on its own clock; the deletes are idempotent, so overlap costs nothing.
 */
export function housekeeping(
  accounts: AccountService,
  audit: AuditLog,
  deliverer: WebhookDeliverer,
  log: FastifyBaseLogger,
): PeriodicJob {
  return new PeriodicJob(
    HOUSEKEEPING_INTERVAL_MS,
    async () => {
      const purged = {
        ...(await accounts.purgeStale()),
        auditEvents: await audit.purgeExpired(),
        outboxEvents: await deliverer.purgeDispatched(),
      };
      if (Object.values(purged).some((n) => n > 0)) {
        log.info(purged, 'housekeeping: stale rows deleted');
      }
    },
    // A database that is down is reported by requests and the sync already.
    (error) => log.debug({ err: error }, 'housekeeping pass failed'),
  );
}
