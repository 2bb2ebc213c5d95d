import { Group, Stack, Table, Text, Tooltip } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useEffect, useRef } from 'react';
import type { AbmToken } from '../../api';
import { RowActionsHeader } from '../../components/RowActions';
import { TableSkeletonRows } from '../../components/TableSkeleton';
import { daysFrom, formatDate, formatDateTime, formatTime, relativeDays } from '../../lib/format';
import { AbmTokenRowActions, type AbmTokenAction } from './AbmTokenRowActions';
import { AbmTokenStatusBadge } from './AbmTokenStatusBadge';

const COLUMNS = 9;
/** Badges, dates and counts stay on one line; names wrap. */
const NO_WRAP = { whiteSpace: 'nowrap' } as const;

export interface AbmTokensTableProps {
  tokens: AbmToken[];
  loading: boolean;
  /** The row to draw attention to (just added or renewed). */
  highlightId: string | null;
  onAction: (action: AbmTokenAction, token: AbmToken) => void;
}

export function AbmTokensTable({ tokens, loading, highlightId, onAction }: AbmTokensTableProps) {
  return (
    <Table.ScrollContainer minWidth={980}>
      <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th miw={140}>MDM server</Table.Th>
            <Table.Th>Organization</Table.Th>
            <Table.Th>Customer</Table.Th>
            <Table.Th>Site</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Expires</Table.Th>
            <Table.Th>Last sync</Table.Th>
            <Table.Th ta="right">Devices</Table.Th>
            <RowActionsHeader />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {loading ? (
            <TableSkeletonRows columns={COLUMNS} />
          ) : (
            tokens.map((token) => (
              <TokenRow key={token.id} token={token} highlighted={token.id === highlightId} onAction={onAction} />
            ))
          )}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function TokenRow({
  token,
  highlighted,
  onAction,
}: {
  token: AbmToken;
  highlighted: boolean;
  onAction: (action: AbmTokenAction, token: AbmToken) => void;
}) {
  const ref = useRef<HTMLTableRowElement>(null);
  useEffect(() => {
    if (highlighted) ref.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [highlighted]);

  return (
    <Table.Tr
      ref={ref}
      data-highlighted={highlighted || undefined}
      style={{
        backgroundColor: highlighted ? 'var(--mantine-color-green-0)' : undefined,
        transition: 'background-color 600ms ease',
      }}
    >
      <Table.Td>
        <Text size="sm" fw={500} style={{ overflowWrap: 'anywhere' }} c={token.serverName ? undefined : 'dimmed'}>
          {token.serverName ?? '—'}
        </Text>
      </Table.Td>
      <Table.Td>
        {token.orgName || token.adminId ? (
          <Stack gap={0}>
            <Text size="sm">{token.orgName ?? '—'}</Text>
            {token.adminId ? (
              <Text size="xs" c="dimmed" title="Apple ID of the administrator who downloaded the token">
                {token.adminId}
              </Text>
            ) : null}
          </Stack>
        ) : (
          <Text size="sm" c="dimmed">
            —
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Text size="sm">{token.customerName}</Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{token.siteName}</Text>
      </Table.Td>
      <Table.Td style={NO_WRAP}>
        <AbmTokenStatusBadge token={token} />
      </Table.Td>
      <Table.Td style={NO_WRAP}>
        <Expiry token={token} />
      </Table.Td>
      <Table.Td style={NO_WRAP}>
        <LastSync token={token} />
      </Table.Td>
      <Table.Td ta="right" style={NO_WRAP}>
        <Text size="sm">{token.deviceCount}</Text>
      </Table.Td>
      <AbmTokenRowActions token={token} onAction={onAction} />
    </Table.Tr>
  );
}

function Expiry({ token }: { token: AbmToken }) {
  if (!token.expiresAt) {
    return (
      <Text size="sm" c="dimmed">
        —
      </Text>
    );
  }
  const days = daysFrom(token.expiresAt);
  const color = days === null ? 'dimmed' : days < 0 ? 'red.7' : days <= 30 ? 'orange.8' : 'dimmed';
  return (
    <Stack gap={0}>
      <Text size="sm" title={formatDateTime(token.expiresAt)}>
        {formatDate(token.expiresAt)}
      </Text>
      {days !== null ? (
        <Text size="xs" c={color}>
          {relativeDays(days)}
        </Text>
      ) : null}
    </Stack>
  );
}

function LastSync({ token }: { token: AbmToken }) {
  return (
    <Group gap={6} wrap="nowrap">
      {token.lastSyncAt ? (
        <Stack gap={0}>
          <Text size="sm" title={formatDateTime(token.lastSyncAt)}>
            {formatDate(token.lastSyncAt)}
          </Text>
          <Text size="xs" c="dimmed">
            {formatTime(token.lastSyncAt)}
          </Text>
        </Stack>
      ) : (
        <Text size="sm" c="dimmed">
          Never
        </Text>
      )}
      {token.lastSyncError ? (
        <Tooltip
          label={`Last sync failed: ${token.lastSyncError}`}
          multiline
          w={300}
          withArrow
          events={{ hover: true, focus: true, touch: true }}
        >
          <IconAlertTriangle
            size={16}
            color="var(--mantine-color-orange-7)"
            tabIndex={0}
            role="img"
            aria-label={`Last sync failed: ${token.lastSyncError}`}
            style={{ flexShrink: 0 }}
          />
        </Tooltip>
      ) : null}
    </Group>
  );
}
