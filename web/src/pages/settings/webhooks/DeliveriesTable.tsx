import { ActionIcon, Badge, Code, Group, Stack, Table, Text, Tooltip } from '@mantine/core';
import { IconChevronRight } from '@tabler/icons-react';
import { Fragment, useState } from 'react';
import type { WebhookDelivery } from '../../../api';
import { ListFooter } from '../../../components/ListFooter';
import { RelativeTime } from '../../../components/RelativeTime';
import { TableSkeletonRows } from '../../../components/TableSkeleton';
import { formatDateTimeSeconds } from '../../../lib/format';
import { useNow } from '../../../lib/useNow';
import { attemptOutcome, deliveryStateInfo } from './deliveryState';
import { eventTypeLabel } from './webhookEvents';

const TOOLTIP_EVENTS = { hover: true, focus: true, touch: true };
const WRAP = { overflowWrap: 'anywhere' } as const;
const COLUMNS = 7;

export interface DeliveriesTableProps {
  deliveries: WebhookDelivery[];
  loading: boolean;
  /** The webhook is disabled: its pending deliveries (not test messages) wait. */
  webhookDisabled: boolean;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
}

/** A webhook's deliveries, newest first; each row opens onto its attempts. */
export function DeliveriesTable({
  deliveries,
  loading,
  webhookDisabled,
  hasMore,
  loadingMore,
  onLoadMore,
}: DeliveriesTableProps) {
  // A fast clock: a delivery's "next attempt" is seconds away.
  const now = useNow(5_000);
  const [opened, setOpened] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string) =>
    setOpened((current) => {
      const next = new Set(current);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  return (
    <>
      <Table.ScrollContainer minWidth={900}>
        <Table verticalSpacing="sm" horizontalSpacing="md" aria-label="Deliveries">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={44} role="none" />
              <Table.Th>Event</Table.Th>
              <Table.Th w={110}>State</Table.Th>
              <Table.Th w={90}>Attempts</Table.Th>
              <Table.Th w="30%">Last answer</Table.Th>
              <Table.Th w={130}>Created</Table.Th>
              <Table.Th w={130}>Finished</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {loading ? (
              <TableSkeletonRows columns={COLUMNS} rows={3} />
            ) : (
              deliveries.map((delivery) => (
                <DeliveryRows
                  key={delivery.id}
                  delivery={delivery}
                  webhookDisabled={webhookDisabled}
                  now={now}
                  opened={opened.has(delivery.id)}
                  onToggle={() => toggle(delivery.id)}
                />
              ))
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {!loading ? (
        <ListFooter
          shown={deliveries.length}
          noun={deliveries.length === 1 ? 'delivery' : 'deliveries'}
          hasMore={hasMore}
          loadingMore={loadingMore}
          onLoadMore={onLoadMore}
        />
      ) : null}
    </>
  );
}

interface DeliveryRowsProps {
  delivery: WebhookDelivery;
  webhookDisabled: boolean;
  now: number;
  opened: boolean;
  onToggle: () => void;
}

function DeliveryRows({ delivery, webhookDisabled, now, opened, onToggle }: DeliveryRowsProps) {
  const state = deliveryStateInfo(delivery, webhookDisabled, now);
  const detailsId = `delivery-${delivery.id}`;
  const outcome =
    delivery.attempts > 0 ? attemptOutcome({ status: delivery.lastStatus, error: delivery.lastError }) : null;
  return (
    <Fragment>
      <Table.Tr style={opened ? { borderBottom: 'none' } : undefined}>
        <Table.Td role="none">
          <ActionIcon
            variant="subtle"
            color="gray"
            onClick={onToggle}
            aria-expanded={opened}
            aria-controls={opened ? detailsId : undefined}
            aria-label={opened ? 'Hide attempts' : 'Show attempts'}
          >
            <IconChevronRight
              size={16}
              style={{ transform: opened ? 'rotate(90deg)' : undefined, transition: 'transform 150ms ease' }}
            />
          </ActionIcon>
        </Table.Td>
        <Table.Td>
          <Stack gap={0}>
            <Text size="sm" fw={500}>
              {eventTypeLabel(delivery.eventType)}
            </Text>
            <Text size="xs" c="dimmed" ff="monospace" style={WRAP}>
              {delivery.eventType}
            </Text>
          </Stack>
        </Table.Td>
        <Table.Td>
          <Tooltip label={state.hint} disabled={!state.hint} multiline w={280} withArrow events={TOOLTIP_EVENTS}>
            <Badge
              color={state.color}
              variant="light"
              radius="sm"
              tt="none"
              tabIndex={state.hint ? 0 : undefined}
              style={{ cursor: state.hint ? 'help' : undefined }}
            >
              {state.label}
            </Badge>
          </Tooltip>
        </Table.Td>
        <Table.Td>
          <Text size="sm">{delivery.attempts}</Text>
        </Table.Td>
        <Table.Td>
          {outcome ? (
            <Text size="sm" c={delivery.lastError ? 'red.8' : undefined} style={WRAP}>
              {outcome}
            </Text>
          ) : (
            <Text size="sm" c="dimmed">
              Not tried yet
            </Text>
          )}
        </Table.Td>
        <Table.Td>
          <RelativeTime value={delivery.createdAt} now={now} size="sm" />
        </Table.Td>
        <Table.Td>
          {delivery.finishedAt ? (
            <RelativeTime value={delivery.finishedAt} now={now} size="sm" />
          ) : (
            <Text size="sm" c="dimmed">
              —
            </Text>
          )}
        </Table.Td>
      </Table.Tr>
      {opened ? (
        <Table.Tr id={detailsId}>
          <Table.Td colSpan={COLUMNS} pt={0}>
            <AttemptLog delivery={delivery} />
          </Table.Td>
        </Table.Tr>
      ) : null}
    </Fragment>
  );
}

/** The delivery's ids (as the receiver sees them) and every attempt, oldest first. */
function AttemptLog({ delivery }: { delivery: WebhookDelivery }) {
  return (
    <Stack gap="xs" p="sm" bg="var(--mantine-color-default-hover)" style={{ borderRadius: 'var(--mantine-radius-sm)' }}>
      <Group gap="lg" wrap="wrap">
        <Text size="xs" c="dimmed">
          webhook-id <Code>{delivery.id}</Code>
        </Text>
        <Text size="xs" c="dimmed">
          Event <Code>{delivery.eventId}</Code>
        </Text>
      </Group>
      {delivery.attemptLog.length === 0 ? (
        <Text size="sm" c="dimmed">
          No attempt yet.
        </Text>
      ) : (
        <Table verticalSpacing={4} horizontalSpacing="xs" aria-label="Attempts">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={40}>#</Table.Th>
              <Table.Th w={200}>Attempted</Table.Th>
              <Table.Th>Answer</Table.Th>
              <Table.Th w={90}>Took</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {delivery.attemptLog.map((attempt, index) => (
              <Table.Tr key={`${attempt.attemptedAt}-${index}`}>
                <Table.Td>
                  <Text size="xs">{index + 1}</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{formatDateTimeSeconds(attempt.attemptedAt)}</Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs" c={attempt.error ? 'red.8' : undefined} style={WRAP}>
                    {attemptOutcome(attempt)}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{formatDuration(attempt.durationMs)}</Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

/** "84 ms", "2.3 s". */
function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
