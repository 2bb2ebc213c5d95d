import { Anchor, Badge, Stack, Table, Text, Tooltip } from '@mantine/core';
import { Link } from 'react-router-dom';
import type { AuditEvent } from '../../api';
import { ListFooter } from '../../components/ListFooter';
import { RelativeTime } from '../../components/RelativeTime';
import { TableSkeletonRows } from '../../components/TableSkeleton';
import { useNow } from '../../lib/useNow';
import { auditActionLabel } from './auditActions';
import { detailLines } from './auditDetails';

const TOOLTIP_EVENTS = { hover: true, focus: true, touch: true };
const WRAP = { overflowWrap: 'anywhere' } as const;

export interface AuditLogTableProps {
  events: AuditEvent[];
  loading: boolean;
  /** Customer names by id; undefined until they are loaded. */
  customerNames: ReadonlyMap<string, string> | undefined;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
}

export function AuditLogTable({
  events,
  loading,
  customerNames,
  hasMore,
  loadingMore,
  onLoadMore,
}: AuditLogTableProps) {
  const now = useNow();
  return (
    <>
      <Table.ScrollContainer minWidth={960}>
        <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={130}>When</Table.Th>
              <Table.Th w="20%">Who</Table.Th>
              <Table.Th>What</Table.Th>
              <Table.Th w="15%">Customer</Table.Th>
              <Table.Th w="28%">Details</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {loading ? (
              <TableSkeletonRows columns={5} />
            ) : (
              events.map((event) => (
                <Table.Tr key={event.id}>
                  <Table.Td style={{ whiteSpace: 'nowrap' }}>
                    <RelativeTime value={event.occurredAt} now={now} size="sm" />
                  </Table.Td>
                  <Table.Td>
                    <Actor event={event} />
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" style={WRAP}>
                      <Text span size="sm" fw={500}>
                        {auditActionLabel(event.action)}
                      </Text>
                      {event.target.label ? ` · ${event.target.label}` : ''}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <CustomerName event={event} names={customerNames} />
                  </Table.Td>
                  <Table.Td>
                    <Details event={event} names={customerNames} />
                  </Table.Td>
                </Table.Tr>
              ))
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {!loading ? (
        <ListFooter
          shown={events.length}
          noun={events.length === 1 ? 'entry' : 'entries'}
          hasMore={hasMore}
          loadingMore={loadingMore}
          onLoadMore={onLoadMore}
        />
      ) : null}
    </>
  );
}

/** The actor's email or key as it read then; Orchard's own decisions get a badge. The address is in a tooltip. */
function Actor({ event }: { event: AuditEvent }) {
  const { actor } = event;
  if (actor.kind === 'orchard') {
    return (
      <Tooltip
        label="Orchard did this itself: no one signed in did it."
        withArrow
        multiline
        maw={280}
        events={TOOLTIP_EVENTS}
      >
        <Badge size="sm" variant="light" color="green" radius="sm" tt="none" tabIndex={0}>
          Orchard
        </Badge>
      </Tooltip>
    );
  }
  const label = actor.kind === 'command_line' && actor.label === 'command line' ? 'Command line' : actor.label;
  return (
    <Tooltip
      label={actor.clientAddress ? `From ${actor.clientAddress}` : ''}
      disabled={!actor.clientAddress}
      withArrow
      events={TOOLTIP_EVENTS}
    >
      <Text size="sm" style={WRAP} tabIndex={actor.clientAddress ? 0 : undefined}>
        {label}
      </Text>
    </Tooltip>
  );
}

function CustomerName({ event, names }: { event: AuditEvent; names: ReadonlyMap<string, string> | undefined }) {
  if (!event.customerId) {
    return (
      <Text size="sm" c="dimmed">
        —
      </Text>
    );
  }
  const name = names?.get(event.customerId);
  if (name !== undefined) {
    return (
      <Anchor component={Link} to={`/customers/${encodeURIComponent(event.customerId)}`} size="sm" style={WRAP}>
        {name}
      </Anchor>
    );
  }
  // Not among the customers one sees now: it was deleted since (its own entries still name it).
  const deletedName = event.target.type === 'customer' ? event.target.label : undefined;
  return (
    <Text size="sm" c="dimmed" style={WRAP}>
      {names === undefined ? '…' : (deletedName ?? 'Deleted customer')}
    </Text>
  );
}

function Details({ event, names }: { event: AuditEvent; names: ReadonlyMap<string, string> | undefined }) {
  const lines = detailLines(event, { customerNames: names });
  if (lines.length === 0) return null;
  return (
    <Stack gap={2}>
      {lines.map((line) => (
        <Text key={line.key} size="xs" c="dimmed" style={WRAP}>
          <Text span inherit fw={500}>
            {line.label}:
          </Text>{' '}
          {line.value}
        </Text>
      ))}
    </Stack>
  );
}
