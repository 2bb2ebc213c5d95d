import type { MantineColor } from '@mantine/core';
import type { WebhookDelivery } from '../../../api';
import { formatDateTime, relativeTime } from '../../../lib/format';
import { TEST_EVENT_TYPE } from './webhookEvents';

export interface DeliveryStateInfo {
  label: string;
  color: MantineColor;
  /** The badge's tooltip: what happens next, or why it ended so. */
  hint: string;
}

/**
 * What a delivery's state means to a person. A pending one is Queued before its first attempt,
 * Retrying after a failed one, and On hold while its webhook is disabled (a test message is
 * sent all the same).
 */
export function deliveryStateInfo(delivery: WebhookDelivery, webhookDisabled: boolean, now: number): DeliveryStateInfo {
  const test = delivery.eventType === TEST_EVENT_TYPE;
  switch (delivery.state) {
    case 'delivered':
      return { label: 'Delivered', color: 'green', hint: 'The receiver answered with a 2xx status.' };
    case 'failed':
      return {
        label: 'Failed',
        color: 'red',
        hint: test
          ? 'A test message is tried once: the receiver did not take it.'
          : `Orchard gave up after ${formatDateTime(delivery.giveUpAt)}: every attempt for a day failed.`,
      };
    case 'pending':
      if (webhookDisabled && !test) {
        return {
          label: 'On hold',
          color: 'gray',
          hint: 'The webhook is disabled: this is sent when it is enabled again.',
        };
      }
      if (delivery.attempts === 0) {
        return { label: 'Queued', color: 'blue', hint: 'Orchard sends it within a few seconds.' };
      }
      return {
        label: 'Retrying',
        color: 'yellow',
        hint: `The next attempt is ${nextAttempt(delivery, now)}. Orchard keeps trying until ${formatDateTime(delivery.giveUpAt)}, then gives up and disables the webhook.`,
      };
    default:
      return { label: delivery.state, color: 'gray', hint: '' };
  }
}

/** "HTTP 204", or why the attempt failed ("Orchard could not reach the receiver (ECONNREFUSED)."). */
export function attemptOutcome(attempt: { status: number | null; error: string | null }): string {
  if (attempt.error) return attempt.error;
  return attempt.status === null ? '—' : `HTTP ${attempt.status}`;
}

/** "in 5 minutes"; "in a few seconds" for one due now (relativeTime would say "just now"). */
function nextAttempt(delivery: WebhookDelivery, now: number): string {
  return Date.parse(delivery.nextAttemptAt) - now < 45_000
    ? 'in a few seconds'
    : relativeTime(delivery.nextAttemptAt, now);
}
