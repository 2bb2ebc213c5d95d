import { Badge, Group, Text, Tooltip, type MantineSize } from '@mantine/core';
import type { Webhook } from '../../../api';
import { formatDateTime, plural } from '../../../lib/format';
import { WEBHOOK_EVENT_TYPES, eventTypeLabel, isWebhookEventType } from './webhookEvents';

const TOOLTIP_EVENTS = { hover: true, focus: true, touch: true };

/** Active, or Disabled with why and since when in its tooltip. */
export function WebhookStatusBadge({ webhook }: { webhook: Webhook }) {
  if (webhook.disabledAt === null) {
    return (
      <Badge color="green" variant="light" radius="sm" tt="none">
        Active
      </Badge>
    );
  }
  return (
    <Tooltip label={disabledText(webhook)} multiline maw={320} withArrow events={TOOLTIP_EVENTS}>
      <Badge color="gray" variant="light" radius="sm" tt="none" tabIndex={0} style={{ cursor: 'help' }}>
        Disabled
      </Badge>
    </Tooltip>
  );
}

/** "Orchard gave up after … (since Mar 4, 2026, 10:15 AM)". */
export function disabledText(webhook: Webhook): string {
  const since = webhook.disabledAt ? ` (since ${formatDateTime(webhook.disabledAt)})` : '';
  return `${webhook.disabledReason ?? 'Disabled.'}${since}`;
}

/** The webhook's events as badges, in the order the form lists them. */
export function EventBadges({ events, size = 'sm' }: { events: readonly string[]; size?: MantineSize }) {
  const known = WEBHOOK_EVENT_TYPES.filter((type) => events.includes(type));
  const unknown = events.filter((type) => !isWebhookEventType(type));
  return (
    <Group gap={4}>
      {[...known, ...unknown].map((type) => (
        <Badge key={type} size={size} variant="light" color="gray" radius="sm" tt="none">
          {eventTypeLabel(type)}
        </Badge>
      ))}
    </Group>
  );
}

export interface WebhookCustomersProps {
  webhook: Webhook;
  /** Customer names by id; undefined until they are loaded. */
  names: ReadonlyMap<string, string> | undefined;
}

/** "All customers", or the chosen customers' names (those deleted since are left out). */
export function WebhookCustomers({ webhook, names }: WebhookCustomersProps) {
  if (webhook.customerIds === null) {
    return (
      <Text size="sm" c="dimmed">
        All customers
      </Text>
    );
  }
  const known = names ? webhook.customerIds.map((id) => names.get(id)).filter((name) => name !== undefined) : [];
  // Until the names are in, say how many.
  if (!names) return <Text size="sm">{plural(webhook.customerIds.length, 'customer')}</Text>;
  if (known.length === 0) {
    return (
      <Text size="sm" c="dimmed" title="The customers chosen were deleted: this webhook gets no events.">
        None
      </Text>
    );
  }
  return (
    <Text size="sm" lineClamp={2} title={known.join(', ')}>
      {known.join(', ')}
    </Text>
  );
}
