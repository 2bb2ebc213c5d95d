import { Anchor, Group, Loader, Stack, Table, Text, Tooltip } from '@mantine/core';
import { useEffect, useRef } from 'react';
import { Link } from 'react-router-dom';
import type { AbmToken } from '../../api';
import { RowActionsHeader } from '../../components/RowActions';
import { TableSkeletonRows } from '../../components/TableSkeleton';
import { daysFrom, formatDate, formatDateTime, formatTime, plural, relativeDays } from '../../lib/format';
import { isSyncing } from '../../queries/abmTokens';
import { AbmTokenRowActions, type AbmTokenAction } from './AbmTokenRowActions';
import { AbmTokenStatusBadge } from './AbmTokenStatusBadge';
import { syncWaitText } from './tokenStatus';

const COLUMNS = 9;
/** Badges, dates and counts stay on one line; names wrap. */
const NO_WRAP = { whiteSpace: 'nowrap' } as const;

export interface AbmTokensTableProps {
  tokens: AbmToken[];
  loading: boolean;
  /** The row to draw attention to (just added or renewed). */
  highlightId: string | null;
  onAction: (action: AbmTokenAction, token: AbmToken) => void;
  /** Where the Devices count links to: the Devices tab filtered by the token. */
  devicesHref: (token: AbmToken) => string;
}

export function AbmTokensTable({ tokens, loading, highlightId, onAction, devicesHref }: AbmTokensTableProps) {
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
              <TokenRow
                key={token.id}
                token={token}
                highlighted={token.id === highlightId}
                onAction={onAction}
                devicesHref={devicesHref(token)}
              />
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
  devicesHref,
}: {
  token: AbmToken;
  highlighted: boolean;
  onAction: (action: AbmTokenAction, token: AbmToken) => void;
  devicesHref: string;
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
        {token.status === 'awaiting_token' ? (
          <Text size="sm" c="dimmed">
            {token.deviceCount}
          </Text>
        ) : (
          <Anchor
            component={Link}
            to={devicesHref}
            size="sm"
            fw={500}
            aria-label={`${plural(token.deviceCount, 'device')} of ${token.serverName ?? 'this token'}`}
            title="Show these devices"
          >
            {token.deviceCount}
          </Anchor>
        )}
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

/** The last sync, or while one runs its progress; a failed last sync in red beneath, explained in a tooltip. */
function LastSync({ token }: { token: AbmToken }) {
  const waiting = syncWaitText(token.sync);
  if (waiting) {
    return (
      <Text
        size="sm"
        role="status"
        title="An Orchard process that stopped still holds this token’s sync. Orchard starts a new sync once its lease runs out."
      >
        {waiting}
      </Text>
    );
  }
  if (isSyncing(token)) {
    const { devices, pages, startedAt } = token.sync;
    return (
      <Group gap={8} wrap="nowrap" role="status" title={startedAt ? `Started ${formatDateTime(startedAt)}` : undefined}>
        <Loader size={14} />
        <Text size="sm">
          Syncing… {plural(devices, 'device')} ({plural(pages, 'page')})
        </Text>
      </Group>
    );
  }
  return (
    <Stack gap={0}>
      {token.lastSyncAt ? (
        <>
          <Text size="sm" title={formatDateTime(token.lastSyncAt)}>
            {formatDate(token.lastSyncAt)}
          </Text>
          <Text size="xs" c="dimmed">
            {formatTime(token.lastSyncAt)}
          </Text>
        </>
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
          <Text size="xs" c="red.7" truncate="end" maw={200} tabIndex={0} style={{ cursor: 'help' }}>
            Failed: {token.lastSyncError}
          </Text>
        </Tooltip>
      ) : null}
    </Stack>
  );
}
