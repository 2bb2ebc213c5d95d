import { randomBytes } from 'node:crypto';
import type { OutboxRepository } from '../store/repositories/outbox.js';
import type { Clock } from './clock.js';

/**
 * What Orchard tells webhooks about: the one list the API schema, the subscriptions and the
 * web app derive from. `webhook.test` is sent only by "Send test", to the one webhook asked.
 */
export const EVENT_TYPES = [
  'abm_token.expiring',
  'abm_token.expired',
  'abm_token.terms_not_accepted',
  'abm_token.rejected',
  'abm_token.renewed',
  'device.added',
  'webhook.test',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Those a webhook can subscribe to. */
export const SUBSCRIBABLE_EVENT_TYPES = EVENT_TYPES.filter((t) => t !== 'webhook.test');

/** Days before a token's expiry at which `abm_token.expiring` is sent, once each. */
export const EXPIRY_NOTICE_DAYS = [30, 14, 7, 1] as const;

export interface OutboxEvent {
  readonly id: string;
  readonly type: EventType;
  readonly occurredAt: string;
  /** The customer the event is about, for webhooks limited to some customers; null: none. */
  readonly customerId: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}

/** `evt_` + time-ordered hex: the order events happened in is the order they are dispatched. */
export function eventId(at: Date, sequence: number): string {
  return `evt_${at.getTime().toString(16).padStart(12, '0')}${sequence.toString(16).padStart(4, '0')}${randomBytes(8).toString('hex')}`;
}

let sequence = 0;

export interface NewEvent {
  readonly type: EventType;
  readonly customerId: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * Writes the events to the outbox through `outbox`, which the caller takes from the transaction
 * of the change itself: an event exists exactly when its change does.
 */
export async function emitEvents(outbox: OutboxRepository, clock: Clock, events: readonly NewEvent[]): Promise<void> {
  const now = clock.now();
  await outbox.insert(
    events.map((event) => {
      sequence = (sequence + 1) % 0x10000;
      return { id: eventId(now, sequence), occurredAt: now.toISOString(), ...event };
    }),
  );
}

export function emitEvent(outbox: OutboxRepository, clock: Clock, event: NewEvent): Promise<void> {
  return emitEvents(outbox, clock, [event]);
}
