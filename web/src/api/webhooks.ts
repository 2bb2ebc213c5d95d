import { apiRequest } from './client';
import type { Page, Webhook, WebhookDelivery } from './types';

const base = '/api/v1/webhooks';
const one = (id: string) => `${base}/${encodeURIComponent(id)}`;

/** Deliveries carry their attempts: a shorter page than other lists. */
export const DELIVERIES_PAGE_SIZE = 25;

export interface NewWebhook {
  url: string;
  /** At least one event type. */
  events: string[];
  /** Null: events of every customer. */
  customerIds: string[] | null;
  description: string;
}

export interface WebhookChanges {
  url?: string;
  events?: string[];
  customerIds?: string[] | null;
  description?: string;
  /** True also re-enables a webhook Orchard disabled after a day of failures. */
  enabled?: boolean;
}

export async function listWebhooks(signal?: AbortSignal): Promise<Webhook[]> {
  const page = await apiRequest<{ items: Webhook[] }>(base, { signal });
  return page.items;
}

export function getWebhook(id: string, signal?: AbortSignal): Promise<Webhook> {
  return apiRequest<Webhook>(one(id), { signal });
}

/** The answer is the only place the signing secret ever appears. */
export function createWebhook(input: NewWebhook): Promise<{ webhook: Webhook; secret: string }> {
  return apiRequest(base, { method: 'POST', body: { ...input } });
}

export function updateWebhook(id: string, changes: WebhookChanges): Promise<Webhook> {
  return apiRequest<Webhook>(one(id), { method: 'PATCH', body: { ...changes } });
}

export function deleteWebhook(id: string): Promise<void> {
  return apiRequest<void>(one(id), { method: 'DELETE' });
}

/** Queues a webhook.test message for this webhook alone (disabled or not); answers its delivery. */
export function sendTestMessage(id: string): Promise<WebhookDelivery> {
  return apiRequest<WebhookDelivery>(`${one(id)}/test`, { method: 'POST' });
}

/** A page of the webhook's deliveries, newest first, each with its attempts. */
export function listDeliveries(
  id: string,
  params: { cursor?: string; limit?: number },
  signal?: AbortSignal,
): Promise<Page<WebhookDelivery>> {
  return apiRequest<Page<WebhookDelivery>>(`${one(id)}/deliveries`, {
    query: { cursor: params.cursor, limit: params.limit ?? DELIVERIES_PAGE_SIZE },
    signal,
  });
}
