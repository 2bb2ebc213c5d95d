import { randomUUID } from 'node:crypto';
import type { Repositories, Transactor } from '../store/repositories/index.js';
import type { Delivery } from '../store/repositories/webhooks.js';
import { ORCHARD, recordAudit } from './audit.js';
import type { Clock } from './clock.js';
import type { SecretStore } from './secrets.js';
import { emailLineOf } from './notifications.js';
import { webhookHeaders } from './webhook-signature.js';
import { DELIVERY_RETRY_WINDOW_MS, wantsCustomer, webhookPayload } from './webhooks.js';

/** Waits between attempts: 5 s, then three times longer each time, at most 2 hours (about 13 in a day). */
export function retryDelayMs(attempts: number): number {
  return Math.min(5_000 * 3 ** Math.max(0, attempts - 1), 2 * 60 * 60 * 1000);
}

export interface DeliveryOptions {
  /** One attempt's limit (ORCHARD_WEBHOOK_TIMEOUT_SECONDS). */
  readonly timeoutMs: number;
  /** This process's name on the leases it takes. */
  readonly owner: string;
  readonly userAgent: string;
}

/** Events fanned out and deliveries sent by one pass. */
export interface PassResult {
  readonly dispatched: number;
  readonly attempted: number;
}

/**
 * Moves events from the outbox to the webhooks that want them (and token reminders to the
 * email recipients, for EmailDigests to mail), and sends what is due.
 *
 * Fan-out claims outbox rows in the transaction that writes their deliveries, so each event
 * becomes one delivery per webhook whichever instance takes it. Sending leases a delivery
 * first: two instances never send the same one at once, and one killed mid-send leaves a
 * lease that runs out, after which another instance sends it again with the same
 * `webhook-id`, for the receiver to recognise. Only the lease holder records the outcome.
 */
export class WebhookDeliverer {
  private wake: (() => void) | undefined;
  private attempted: ((outcome: 'delivered' | 'failed' | 'given_up') => void) | undefined;

  constructor(
    private readonly deps: {
      readonly repositories: Repositories;
      readonly transactor: Transactor;
      readonly secrets: SecretStore;
      readonly clock: Clock;
      readonly options: DeliveryOptions;
    },
  ) {}

  /** Who to tell when work is queued that should not wait for the next poll (the worker job). */
  onWorkQueued(wake: () => void): void {
    this.wake = wake;
  }

  workQueued(): void {
    this.wake?.();
  }

  /** Told of every attempt this process records (the metrics). */
  onAttempt(listener: (outcome: 'delivered' | 'failed' | 'given_up') => void): void {
    this.attempted = listener;
  }

  /** Deliveries waiting to be sent, and events not yet fanned out to them. */
  async backlog(): Promise<{ deliveries: number; events: number }> {
    const repos = this.deps.repositories;
    const [deliveries, events] = await Promise.all([repos.webhooks.backlog(), repos.outbox.undispatched()]);
    return { deliveries, events };
  }

  /** Outbox events fanned out over a week ago: their deliveries keep their own copy. */
  purgeDispatched(): Promise<number> {
    const weekAgo = new Date(this.deps.clock.now().getTime() - 7 * 24 * 60 * 60 * 1000);
    return this.deps.repositories.outbox.deleteDispatchedBefore(weekAgo.toISOString());
  }

  /** Fans out and sends until nothing is left that is due now. */
  async runPass(): Promise<PassResult> {
    let dispatched = 0;
    let attempted = 0;
    for (;;) {
      const fanned = await this.dispatch(100);
      const sent = await this.sendDue(10);
      dispatched += fanned;
      attempted += sent;
      if (fanned === 0 && sent === 0) return { dispatched, attempted };
    }
  }

  async dispatch(limit: number): Promise<number> {
    return this.deps.transactor.transaction(async (repos) => {
      const events = await repos.outbox.claimUndispatched(limit);
      if (events.length === 0) return 0;
      const now = this.deps.clock.now();
      const subscribers = new Map<string, Awaited<ReturnType<typeof repos.webhooks.subscribers>>>();
      for (const event of events) {
        let hooks = subscribers.get(event.type);
        if (hooks === undefined) {
          hooks = await repos.webhooks.subscribers(event.type);
          subscribers.set(event.type, hooks);
        }
        const payload = webhookPayload(event.type, event.occurredAt, event.data);
        // Reminders people get by mail ride the same fan-out: one line per recipient.
        const line = emailLineOf(event);
        if (line !== undefined) {
          const addresses = await repos.notifications.addressesFor(event.customerId);
          await repos.notifications.insertLines(
            addresses.map((recipient) => ({
              id: randomUUID(),
              recipient,
              eventId: event.id,
              eventType: event.type,
              ...line,
              now: now.toISOString(),
            })),
          );
        }
        await repos.webhooks.insertDeliveries(
          hooks
            .filter((hook) => wantsCustomer(hook, event.customerId))
            .map((hook) => ({
              id: `msg_${randomUUID().replaceAll('-', '')}`,
              webhookId: hook.id,
              eventId: event.id,
              eventType: event.type,
              payload,
              now: now.toISOString(),
              giveUpAt: new Date(Date.parse(event.occurredAt) + DELIVERY_RETRY_WINDOW_MS).toISOString(),
            })),
        );
      }
      await repos.outbox.markDispatched(
        events.map((e) => e.id),
        now.toISOString(),
      );
      return events.length;
    });
  }

  async sendDue(limit: number): Promise<number> {
    const now = this.deps.clock.now();
    // Longer than an attempt can take, so a live sender never loses its lease mid-send.
    const until = new Date(now.getTime() + this.deps.options.timeoutMs * 2 + 5_000).toISOString();
    const due = await this.deps.repositories.webhooks.leaseDue(
      this.deps.options.owner,
      now.toISOString(),
      until,
      limit,
    );
    await Promise.all(due.map((delivery) => this.send(delivery)));
    return due.length;
  }

  private async send(delivery: Delivery): Promise<void> {
    const { repositories: repos, clock, options } = this.deps;
    const hook = await repos.webhooks.findById(delivery.webhookId);
    if (hook === undefined) return;
    const secret = (await this.deps.secrets.get(hook.secretId))?.toString('utf8');
    const started = clock.now();
    let status: number | null = null;
    let error: string | null = null;
    if (secret === undefined) {
      error = 'The webhook’s signing secret is missing; delete the webhook and add it again.';
    } else {
      try {
        const response = await fetch(hook.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': options.userAgent,
            ...webhookHeaders(secret, delivery.id, started, delivery.payload),
          },
          body: delivery.payload,
          redirect: 'manual',
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        status = response.status;
        await response.body?.cancel();
        if (status < 200 || status >= 300) error = `The receiver answered HTTP ${status}.`;
      } catch (cause) {
        error = describeFailure(cause, options.timeoutMs);
      }
    }
    const finished = clock.now();
    const ok = error === null;
    const givingUp = !ok && (delivery.eventType === 'webhook.test' || finished.toISOString() >= delivery.giveUpAt);
    const written = await this.deps.transactor.transaction(async (tx) => {
      // Not written: the lease ran out meanwhile and another instance owns the delivery now.
      const recorded = await tx.webhooks.recordAttempt(
        delivery.id,
        options.owner,
        {
          attemptId: randomUUID(),
          attemptedAt: started.toISOString(),
          status,
          error,
          durationMs: finished.getTime() - started.getTime(),
        },
        {
          state: ok ? 'delivered' : givingUp ? 'failed' : 'pending',
          nextAttemptAt:
            ok || givingUp
              ? finished.toISOString()
              : new Date(finished.getTime() + retryDelayMs(delivery.attempts + 1)).toISOString(),
          finishedAt: ok || givingUp ? finished.toISOString() : null,
        },
      );
      // A receiver that failed every attempt for a day is switched off, and the trail says so.
      if (recorded && givingUp && delivery.eventType !== 'webhook.test' && hook.disabledAt === null) {
        const reason = `Orchard gave up after a day of failed deliveries (last: ${error}). Fix the receiver, then enable the webhook again.`;
        await tx.webhooks.update(
          hook.id,
          { disabledAt: finished.toISOString(), disabledReason: reason },
          finished.toISOString(),
        );
        await recordAudit(
          tx.auditEvents,
          ORCHARD,
          {
            action: 'webhook.disabled',
            target: { type: 'webhook', id: hook.id, label: hook.url },
            details: { reason },
          },
          clock,
        );
      }
      return recorded;
    });
    if (written) this.attempted?.(ok ? 'delivered' : givingUp ? 'given_up' : 'failed');
  }
}

function describeFailure(cause: unknown, timeoutMs: number): string {
  if (cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError')) {
    return `The receiver did not answer within ${timeoutMs / 1000} s.`;
  }
  const code = (cause as { cause?: { code?: string } }).cause?.code;
  return `Orchard could not reach the receiver${code === undefined ? '' : ` (${code})`}.`;
}
