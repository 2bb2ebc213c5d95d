import type { FastifyBaseLogger } from 'fastify';
import type { AbmTokenService } from '../domain/abm-tokens.js';
import type { EmailDigests } from '../domain/notifications.js';
import type { WebhookDeliverer } from '../domain/webhook-delivery.js';
import { PeriodicJob } from './periodic.js';

/** Deliveries due are looked for this often (and at once when one is queued here). */
const POLL_MS = 1000;
/** Token expiry reminders are looked for this often: they are about days. */
const EXPIRY_CHECK_MS = 5 * 60 * 1000;
/** Email digests due are looked for this often. */
const EMAIL_CHECK_MS = 30 * 1000;

/**
 * Background work for events: fan the outbox out to webhooks and send what is due (every
 * second, or at once when a test message is queued), and write token expiry reminders.
 * Every instance runs it; leases and claims share the work out.
 */
export class WebhookWorker {
  private readonly delivery: PeriodicJob;
  private readonly expiry: PeriodicJob;
  private readonly email: PeriodicJob;
  private again = false;

  constructor(deliverer: WebhookDeliverer, abmTokens: AbmTokenService, digests: EmailDigests, log: FastifyBaseLogger) {
    const onError = (what: string) => (error: unknown) => log.warn({ err: error }, `${what} failed; trying again`);
    this.delivery = new PeriodicJob(
      POLL_MS,
      async () => {
        do {
          this.again = false;
          await deliverer.runPass();
        } while (this.again);
      },
      onError('webhook delivery pass'),
    );
    this.expiry = new PeriodicJob(
      EXPIRY_CHECK_MS,
      async () => {
        if ((await abmTokens.sendExpiryNotices()) > 0) deliverer.workQueued();
      },
      onError('token expiry check'),
    );
    this.email = new PeriodicJob(EMAIL_CHECK_MS, async () => void (await digests.sendDue()), onError('email digests'));
    deliverer.onWorkQueued(() => {
      this.again = true;
      this.delivery.runSoon();
    });
  }

  start(): void {
    this.delivery.start();
    this.expiry.start();
    this.email.start();
  }

  async stop(): Promise<void> {
    await this.delivery.stop();
    await this.expiry.stop();
    await this.email.stop();
  }
}
