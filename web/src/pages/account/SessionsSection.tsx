import { Badge, Button, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { IconLogout } from '@tabler/icons-react';
import type { SessionInfo } from '../../api';
import { QueryErrorAlert } from '../../components/QueryErrorAlert';
import { RelativeTime } from '../../components/RelativeTime';
import { TableSkeletonRows } from '../../components/TableSkeleton';
import { formatDate, formatDateTime, plural } from '../../lib/format';
import { notifyError, notifySuccess } from '../../lib/notify';
import { useNow } from '../../lib/useNow';
import { describeUserAgent } from '../../lib/userAgent';
import { useEndOtherSessions, useEndSession, useSessions } from '../../queries/account';

/** The signed-in user's sessions: where they are signed in, and a way to end any but this one. */
export function SessionsSection() {
  const sessions = useSessions();
  const endOthers = useEndOtherSessions();
  const others = (sessions.data ?? []).filter((session) => !session.current).length;

  function signOutEverywhereElse() {
    endOthers.mutate(undefined, {
      onSuccess: (ended) => notifySuccess('Signed out everywhere else', `${plural(ended, 'session')} ended.`),
      onError: (error) => notifyError('Could not sign out the other sessions', error),
    });
  }

  return (
    <Stack gap="sm" component="section" aria-labelledby="sessions-heading">
      <Group justify="space-between" align="flex-end">
        <Stack gap={2}>
          <Title order={3} id="sessions-heading">
            Your sessions
          </Title>
          <Text size="sm" c="dimmed">
            The browsers where you are signed in. Sign out any you do not recognise, then change your password.
          </Text>
        </Stack>
        <Button
          variant="default"
          leftSection={<IconLogout size={16} />}
          onClick={signOutEverywhereElse}
          loading={endOthers.isPending}
          disabled={others === 0}
        >
          Sign out everywhere else
        </Button>
      </Group>
      <Paper withBorder radius="md">
        {sessions.isError ? (
          <Stack p="md">
            <QueryErrorAlert
              title="Could not load your sessions"
              error={sessions.error}
              onRetry={() => void sessions.refetch()}
              retrying={sessions.isRefetching}
            />
          </Stack>
        ) : (
          <SessionsTable sessions={sessions.data ?? []} loading={sessions.isPending} />
        )}
      </Paper>
    </Stack>
  );
}

function SessionsTable({ sessions, loading }: { sessions: SessionInfo[]; loading: boolean }) {
  const now = useNow();
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table verticalSpacing="sm" horizontalSpacing="md">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Browser</Table.Th>
            <Table.Th w={160}>Address</Table.Th>
            <Table.Th w={140}>Signed in</Table.Th>
            <Table.Th w={140}>Last active</Table.Th>
            <Table.Th w={120} role="none" />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {loading ? (
            <TableSkeletonRows columns={5} rows={2} />
          ) : (
            sessions.map((session) => <SessionRow key={session.id} session={session} now={now} />)
          )}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function SessionRow({ session, now }: { session: SessionInfo; now: number }) {
  const end = useEndSession();
  const browser = describeUserAgent(session.userAgent);
  return (
    <Table.Tr>
      <Table.Td>
        <Group gap={6} wrap="nowrap">
          <Text size="sm" fw={500} title={session.userAgent ?? undefined}>
            {browser}
          </Text>
          {session.current ? (
            <Badge size="sm" variant="light" color="green" tt="none">
              This session
            </Badge>
          ) : null}
        </Group>
      </Table.Td>
      <Table.Td>
        <Text size="sm" ff="monospace" style={{ overflowWrap: 'anywhere' }}>
          {session.clientAddress ?? '—'}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm" c="dimmed" title={formatDateTime(session.createdAt)}>
          {formatDate(session.createdAt)}
        </Text>
      </Table.Td>
      <Table.Td>
        <RelativeTime value={session.lastSeenAt} now={now} size="sm" />
      </Table.Td>
      {/* This session ends with Sign out in the user menu, which also leaves the app. */}
      <Table.Td ta="right" role="none">
        {!session.current ? (
          <Button
            size="xs"
            variant="subtle"
            color="red"
            loading={end.isPending}
            aria-label={`Sign out ${browser}`}
            onClick={() =>
              end.mutate(session.id, {
                onSuccess: () => notifySuccess('Session signed out', `${browser} is signed out.`),
                onError: (error) => notifyError('Could not sign out the session', error),
              })
            }
          >
            Sign out
          </Button>
        ) : null}
      </Table.Td>
    </Table.Tr>
  );
}
