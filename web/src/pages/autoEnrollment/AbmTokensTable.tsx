import { Anchor, Group, Loader, Stack, Table, Text, Tooltip } from '@mantine/core';
import { useEffect, useRef } from 'react';
import { Link } from 'react-router-dom';
import type { AbmToken, CurrentEnrollmentState } from '../../api';
import { RowActionsHeader } from '../../components/RowActions';
import { TableSkeletonRows } from '../../components/TableSkeleton';
import { TruncatedText } from '../../components/TruncatedText';
import { daysFrom, formatDate, formatDateTime, formatTime, plural, relativeDays } from '../../lib/format';
import { isSyncing } from '../../queries/abmTokens';
import { AbmTokenRowActions, type AbmTokenAction } from './AbmTokenRowActions';
import { EnrollmentCounts } from '../devices/EnrollmentCounts';
import { AbmTokenStatusBadge } from './AbmTokenStatusBadge';
import { syncWaitText } from './tokenStatus';

const COLUMNS = 6;
/** Badges, dates and counts stay on one line; names wrap. */
const NO_WRAP = { whiteSpace: 'nowrap' } as const;
/** The states a token's current devices can be in (removed and released ones are not counted). */
const CURRENT_STATES: readonly CurrentEnrollmentState[] = [
  'awaiting_enrollment',
  'enrolling',
  'enrolled',
  'unenrolled',
];

export interface AbmTokensTableProps {
  tokens: AbmToken[];
  loading: boolean;
  /** The row to draw attention to (just added or renewed). */
  highlightId: string | null;
  onAction: (action: AbmTokenAction, token: AbmToken) => void;
  /** Where the Devices count links to: the Devices tab filtered by the token. */
  devicesHref: (token: AbmToken) => string;
}

/**
 * Six columns that fit a 1280-pixel screen beside the navigation, so the row actions stay in
 * view: the organization sits under the MDM server, the site under the customer, the expiry
 * under the status.
 */
export function AbmTokensTable({ tokens, loading, highlightId, onAction, devicesHref }: AbmTokensTableProps) {
  return (
    <Table.ScrollContainer minWidth={760}>
      <Table verticalSpacing="sm" horizontalSpacing="sm" highlightOnHover style={{ tableLayout: 'fixed' }}>
        <Table.Thead>
          <Table.Tr style={NO_WRAP}>
            <Table.Th>MDM server</Table.Th>
            <Table.Th w="20%">Customer / Site</Table.Th>
            <Table.Th w={150}>Status</Table.Th>
            <Table.Th w={130}>Last sync</Table.Th>
            <Table.Th w={180}>Devices</Table.Th>
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
        <Stack gap={0}>
          <Text size="sm" fw={500} style={{ overflowWrap: 'anywhere' }} c={token.serverName ? undefined : 'dimmed'}>
            {token.serverName ?? '—'}
          </Text>
          {token.orgName ? (
            <TruncatedText size="xs" c="dimmed">
              {token.orgName}
            </TruncatedText>
          ) : null}
          {token.adminId ? (
            <TruncatedText
              size="xs"
              c="dimmed"
              tooltip={`Apple ID of the administrator who downloaded the token: ${token.adminId}`}
            >
              {token.adminId}
            </TruncatedText>
          ) : null}
        </Stack>
      </Table.Td>
      <Table.Td>
        <Stack gap={0}>
          <TruncatedText size="sm">{token.customerName}</TruncatedText>
          <TruncatedText size="xs" c="dimmed">
            {token.siteName}
          </TruncatedText>
        </Stack>
      </Table.Td>
      <Table.Td style={NO_WRAP}>
        <Stack gap={2} align="flex-start">
          <AbmTokenStatusBadge token={token} />
          <Expiry token={token} />
        </Stack>
      </Table.Td>
      <Table.Td style={NO_WRAP}>
        <LastSync token={token} />
      </Table.Td>
      <Table.Td>
        <DeviceCounts token={token} href={devicesHref} />
      </Table.Td>
      <AbmTokenRowActions token={token} onAction={onAction} />
    </Table.Tr>
  );
}

/** "20 devices" linking to them, and beneath how many are enrolled, enrolling, awaiting, unenrolled. */
function DeviceCounts({ token, href }: { token: AbmToken; href: string }) {
  if (token.status === 'awaiting_token') {
    return (
      <Text size="sm" c="dimmed">
        —
      </Text>
    );
  }
  // Tolerates a server older than the enrollment counts.
  const counts = (token.enrollmentCounts as AbmToken['enrollmentCounts'] | undefined) ?? null;
  return (
    <Stack gap={2}>
      <Anchor
        component={Link}
        to={href}
        size="sm"
        fw={500}
        style={NO_WRAP}
        aria-label={`${plural(token.deviceCount, 'device')} of ${token.serverName ?? 'this token'}`}
        title="Show these devices"
      >
        {plural(token.deviceCount, 'device')}
      </Anchor>
      {counts && token.deviceCount > 0 ? (
        <EnrollmentCounts counts={counts} states={CURRENT_STATES} size="xs" c="dimmed" withBar />
      ) : null}
    </Stack>
  );
}

/** "Expires in 365 days" under the status, orange within 30 days, red once past; the date in a tooltip. */
function Expiry({ token }: { token: AbmToken }) {
  if (!token.expiresAt) return null;
  const days = daysFrom(token.expiresAt);
  const color = days === null ? 'dimmed' : days < 0 ? 'red.7' : days <= 30 ? 'orange.8' : 'dimmed';
  const when = days === null ? formatDate(token.expiresAt) : relativeDays(days);
  return (
    <Tooltip
      label={`${days !== null && days < 0 ? 'Expired' : 'Expires'} ${formatDateTime(token.expiresAt)}`}
      withArrow
      events={{ hover: true, focus: true, touch: true }}
    >
      <Text size="xs" c={color} tabIndex={0} style={{ cursor: 'help' }}>
        {days !== null && days < 0 ? `Expired ${when}` : `Expires ${when}`}
      </Text>
    </Tooltip>
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
