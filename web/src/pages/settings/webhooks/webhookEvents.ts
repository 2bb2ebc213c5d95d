/**
 * The events a webhook can subscribe to: SUBSCRIBABLE_EVENT_TYPES in the server's
 * src/domain/events.ts, in its order. This is the web app's one list of them, with what each
 * is called and when it is sent.
 */
export const WEBHOOK_EVENTS = {
  'abm_token.expiring': {
    label: 'Token expiring',
    description: 'An ABM server token expires in 30, 14, 7 or 1 days: time to renew it.',
  },
  'abm_token.expired': {
    label: 'Token expired',
    description: 'An ABM server token expired: its devices no longer sync until it is renewed.',
  },
  'abm_token.terms_not_accepted': {
    label: 'Terms not accepted',
    description: 'Apple changed its terms: a customer’s ABM administrator must accept them before syncing resumes.',
  },
  'abm_token.rejected': {
    label: 'Token rejected',
    description: 'Apple refused an ABM server token: it was revoked, or replaced by a newer one in ABM.',
  },
  'abm_token.renewed': {
    label: 'Token renewed',
    description: 'A new server token was uploaded for a connected ABM token.',
  },
  'device.added': {
    label: 'Device added',
    description: 'A device was newly assigned to a token’s MDM server in Apple Business Manager.',
  },
} as const satisfies Record<string, { label: string; description: string }>;

export type WebhookEventType = keyof typeof WEBHOOK_EVENTS;

export const WEBHOOK_EVENT_TYPES = Object.keys(WEBHOOK_EVENTS) as WebhookEventType[];

/** Sent only by "Send test", to the one webhook tested; no webhook subscribes to it. */
export const TEST_EVENT_TYPE = 'webhook.test';

export function isWebhookEventType(value: string): value is WebhookEventType {
  return Object.hasOwn(WEBHOOK_EVENTS, value);
}

/** The event type's name; one this app does not know yet reads as the server names it. */
export function eventTypeLabel(type: string): string {
  if (type === TEST_EVENT_TYPE) return 'Test message';
  return isWebhookEventType(type) ? WEBHOOK_EVENTS[type].label : type;
}
