import { randomUUID } from 'node:crypto';
import type { Page, PageRequest } from '../store/paging.js';
import type { Repositories, Transactor } from '../store/repositories/index.js';
import type { Delivery, DeliveryAttempt, Webhook } from '../store/repositories/webhooks.js';
import { recordAudit, type Who } from './audit.js';
import { isoNow, type Clock } from './clock.js';
import { NotFoundError, ValidationError } from './errors.js';
import { eventId, type EventType } from './events.js';
import { requireAdmin, type Principal } from './principal.js';
import type { SecretStore } from './secrets.js';
import { newWebhookSecret } from './webhook-signature.js';

export type { Delivery, DeliveryAttempt, Webhook };

/** A webhook as the API shows it: never its secret. */
export type WebhookView = Omit<Webhook, 'secretId'>;

export interface WebhookInput {
  readonly url: string;
  readonly events: readonly EventType[];
  /** Absent or null: events of every customer (and those of none). */
  readonly customerIds?: readonly string[] | null;
  readonly description?: string;
}

export interface WebhookPatch extends Partial<WebhookInput> {
  /** false: stop delivering; true: deliver again (also after Orchard disabled it). */
  readonly enabled?: boolean;
}

const SECRET_PURPOSE = 'webhook.secret';
/** A delivery is retried for this long after its event, then given up. */
export const DELIVERY_RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** The JSON body every attempt of a delivery sends: `{type, timestamp, data}`. */
export function webhookPayload(type: string, timestamp: string, data: Readonly<Record<string, unknown>>): string {
  return JSON.stringify({ type, timestamp, data });
}

/** Does the webhook take events of this customer? */
export function wantsCustomer(hook: Pick<Webhook, 'customerIds'>, customerId: string | null): boolean {
  return hook.customerIds === null || (customerId !== null && hook.customerIds.includes(customerId));
}

/** Webhooks: admins manage them; their secrets are sealed like every other secret. */
export class WebhookService {
  constructor(
    private readonly deps: {
      readonly repositories: Repositories;
      readonly transactor: Transactor;
      readonly secrets: SecretStore;
      readonly clock: Clock;
      /** Production refuses plain http: signatures prove who sent, not that nobody read. */
      readonly requireHttps: boolean;
      /** A delivery was queued: the deliverer need not wait for its next poll. */
      readonly onQueued?: () => void;
    },
  ) {}

  async list(principal: Principal): Promise<WebhookView[]> {
    requireAdmin(principal, 'see webhooks');
    return (await this.deps.repositories.webhooks.list()).map(view);
  }

  async get(principal: Principal, id: string): Promise<WebhookView> {
    requireAdmin(principal, 'see webhooks');
    return view(await this.found(id));
  }

  /** The secret is in this answer only. */
  async create(principal: Principal, input: WebhookInput): Promise<{ webhook: WebhookView; secret: string }> {
    requireAdmin(principal, 'add webhooks');
    const url = this.checkUrl(input.url);
    const customerIds = await this.checkCustomers(input.customerIds ?? null);
    const description = checkDescription(input.description ?? '');
    const secret = newWebhookSecret();
    const id = randomUUID();
    const now = isoNow(this.deps.clock);
    await this.deps.transactor.transaction(async (repos) => {
      const secretId = await this.deps.secrets.using(repos.secrets).put(SECRET_PURPOSE, secret);
      await repos.webhooks.insert({
        id,
        url,
        description,
        events: input.events,
        customerIds,
        secretId,
        createdAt: now,
      });
      await this.audit(repos, principal, 'webhook.created', { id, url }, { events: input.events, customerIds });
    });
    return { webhook: view(await this.found(id)), secret };
  }

  async update(principal: Principal, id: string, patch: WebhookPatch): Promise<WebhookView> {
    requireAdmin(principal, 'change webhooks');
    const before = await this.found(id);
    const now = isoNow(this.deps.clock);
    const changes = {
      ...(patch.url === undefined ? {} : { url: this.checkUrl(patch.url) }),
      ...(patch.events === undefined ? {} : { events: patch.events }),
      ...(patch.customerIds === undefined
        ? {}
        : { customerIds: await this.checkCustomers(patch.customerIds, before.customerIds ?? []) }),
      ...(patch.description === undefined ? {} : { description: checkDescription(patch.description) }),
      ...(patch.enabled === undefined
        ? {}
        : patch.enabled
          ? { disabledAt: null, disabledReason: null }
          : { disabledAt: before.disabledAt ?? now, disabledReason: before.disabledReason ?? 'Disabled by an admin.' }),
    };
    await this.deps.transactor.transaction(async (repos) => {
      if (!(await repos.webhooks.update(id, changes, now))) throw new NotFoundError('webhook', id);
      const after = await repos.webhooks.findById(id);
      const changed: Record<string, unknown> = {};
      for (const field of ['url', 'events', 'customerIds', 'description'] as const) {
        if (after !== undefined && JSON.stringify(before[field]) !== JSON.stringify(after[field])) {
          changed[field] = { from: before[field], to: after[field] };
        }
      }
      if (Object.keys(changed).length > 0) await this.audit(repos, principal, 'webhook.updated', before, changed);
      if (after !== undefined && (before.disabledAt === null) !== (after.disabledAt === null)) {
        await this.audit(repos, principal, after.disabledAt === null ? 'webhook.enabled' : 'webhook.disabled', before);
      }
    });
    return view(await this.found(id));
  }

  async delete(principal: Principal, id: string): Promise<void> {
    requireAdmin(principal, 'delete webhooks');
    const hook = await this.found(id);
    await this.deps.transactor.transaction(async (repos) => {
      const secretId = await repos.webhooks.delete(id);
      if (secretId === undefined) throw new NotFoundError('webhook', id);
      await this.deps.secrets.using(repos.secrets).deleteAll([secretId]);
      await this.audit(repos, principal, 'webhook.deleted', hook);
    });
  }

  /** Queues a `webhook.test` message for this webhook alone, enabled or not; answers its delivery. */
  async sendTest(principal: Principal, id: string): Promise<Delivery> {
    requireAdmin(principal, 'test webhooks');
    const hook = await this.found(id);
    const now = this.deps.clock.now();
    const type: EventType = 'webhook.test';
    const deliveryId = `msg_${randomUUID().replaceAll('-', '')}`;
    await this.deps.repositories.webhooks.insertDeliveries([
      {
        id: deliveryId,
        webhookId: hook.id,
        eventId: eventId(now, 0),
        eventType: type,
        payload: webhookPayload(type, now.toISOString(), { webhookId: hook.id, message: 'A test from Orchard.' }),
        now: now.toISOString(),
        giveUpAt: now.toISOString(),
      },
    ]);
    const queued = await this.deps.repositories.webhooks.findDelivery(deliveryId);
    if (queued === undefined) throw new NotFoundError('delivery', deliveryId);
    this.deps.onQueued?.();
    return queued;
  }

  async deliveries(
    principal: Principal,
    id: string,
    page: PageRequest,
  ): Promise<Page<Delivery & { attemptLog: DeliveryAttempt[] }>> {
    requireAdmin(principal, 'see webhook deliveries');
    await this.found(id);
    return this.deps.repositories.webhooks.listDeliveries(id, page);
  }

  private audit(
    repos: Pick<Repositories, 'auditEvents'>,
    who: Who,
    action: 'webhook.created' | 'webhook.updated' | 'webhook.deleted' | 'webhook.disabled' | 'webhook.enabled',
    hook: Pick<Webhook, 'id' | 'url'>,
    details?: Record<string, unknown>,
  ): Promise<void> {
    return recordAudit(
      repos.auditEvents,
      who,
      {
        action,
        target: { type: 'webhook', id: hook.id, label: hook.url },
        ...(details === undefined ? {} : { details }),
      },
      this.deps.clock,
    );
  }

  private async found(id: string): Promise<Webhook> {
    const hook = await this.deps.repositories.webhooks.findById(id);
    if (hook === undefined) throw new NotFoundError('webhook', id);
    return hook;
  }

  private checkUrl(raw: string): string {
    let url: URL;
    try {
      url = new URL(raw.trim());
    } catch {
      throw new ValidationError(
        `"${raw}" is not a URL. Give the receiver's full address, e.g. https://psa.example.com/hooks/orchard.`,
        'url',
      );
    }
    const allowed = this.deps.requireHttps ? ['https:'] : ['https:', 'http:'];
    if (!allowed.includes(url.protocol)) {
      throw new ValidationError(
        this.deps.requireHttps
          ? 'Webhook URLs must use https in production, so what is sent cannot be read on the way.'
          : 'Webhook URLs must use http or https.',
        'url',
      );
    }
    if (url.username !== '' || url.password !== '') {
      throw new ValidationError(
        'Put no user name or password in the webhook URL: every message is signed (webhook-signature) for the receiver to check instead.',
        'url',
      );
    }
    return url.toString();
  }

  /** `kept`: ids the webhook already has, accepted even if their customer was deleted since. */
  private async checkCustomers(ids: readonly string[] | null, kept: readonly string[] = []): Promise<string[] | null> {
    if (ids === null) return null;
    const unique = [...new Set(ids)];
    if (unique.length === 0) {
      throw new ValidationError('Choose at least one customer, or null for events of every customer.', 'customerIds');
    }
    for (const id of unique) {
      if (!kept.includes(id) && (await this.deps.repositories.customers.findById(id)) === undefined) {
        throw new ValidationError(`There is no customer with the id ${id}.`, 'customerIds');
      }
    }
    return unique;
  }
}

function checkDescription(raw: string): string {
  const description = raw.trim();
  if (description.length > 500) throw new ValidationError('Keep the description under 500 characters.', 'description');
  return description;
}

function view(hook: Webhook): WebhookView {
  const { secretId: _secret, ...rest } = hook;
  return rest;
}
