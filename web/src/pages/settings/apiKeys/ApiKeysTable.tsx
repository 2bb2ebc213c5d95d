import { Badge, Button, Code, Group, Table, Text, Tooltip } from '@mantine/core';
import type { ApiKey } from '../../../api';
import { RelativeTime } from '../../../components/RelativeTime';
import { TableSkeletonRows } from '../../../components/TableSkeleton';
import { formatDate, formatDateTime } from '../../../lib/format';
import { apiKeyStatus } from './apiKeyStatus';

export interface ApiKeysTableProps {
  keys: ApiKey[];
  loading: boolean;
  /** Admins see every key: the user each acts as gets a column. */
  showUser: boolean;
  now: number;
  onRevoke: (key: ApiKey) => void;
}

export function ApiKeysTable({ keys, loading, showUser, now, onRevoke }: ApiKeysTableProps) {
  const columns = showUser ? 7 : 6;
  return (
    <Table.ScrollContainer minWidth={showUser ? 960 : 760}>
      <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th w={130}>Key</Table.Th>
            {showUser ? <Table.Th>User</Table.Th> : null}
            <Table.Th w={130}>Expires</Table.Th>
            <Table.Th w={140}>Last used</Table.Th>
            <Table.Th w={100}>Status</Table.Th>
            <Table.Th w={100} role="none" />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {loading ? (
            <TableSkeletonRows columns={columns} rows={3} />
          ) : (
            keys.map((key) => (
              <Table.Tr key={key.id}>
                <Table.Td>
                  <Group gap={6} wrap="nowrap">
                    <Text size="sm" fw={500} style={{ overflowWrap: 'anywhere' }}>
                      {key.name}
                    </Text>
                    {key.readOnly ? (
                      <Badge size="xs" variant="outline" color="gray" tt="none" style={{ flexShrink: 0 }}>
                        Read-only
                      </Badge>
                    ) : null}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Code>{key.prefix}…</Code>
                </Table.Td>
                {showUser ? (
                  <Table.Td>
                    {key.userEmail ?? (
                      <Text size="sm" c="dimmed" title="A service key acts as an admin and belongs to no user.">
                        Service key
                      </Text>
                    )}
                  </Table.Td>
                ) : null}
                <Table.Td>
                  {key.expiresAt ? (
                    <Text size="sm" title={formatDateTime(key.expiresAt)}>
                      {formatDate(key.expiresAt)}
                    </Text>
                  ) : (
                    <Text size="sm" c="dimmed">
                      Never
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  {key.lastUsedAt ? (
                    <RelativeTime value={key.lastUsedAt} now={now} size="sm" />
                  ) : (
                    <Text size="sm" c="dimmed">
                      Never
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <StatusBadge apiKey={key} now={now} />
                </Table.Td>
                {/* role none, as in RowActionsCell: named "Revoke <name>", the cell would match a lookup of the name. */}
                <Table.Td ta="right" role="none">
                  {apiKeyStatus(key, now) === 'active' ? (
                    <Button
                      size="xs"
                      variant="subtle"
                      color="red"
                      onClick={() => onRevoke(key)}
                      aria-label={`Revoke ${key.name}`}
                    >
                      Revoke
                    </Button>
                  ) : null}
                </Table.Td>
              </Table.Tr>
            ))
          )}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function StatusBadge({ apiKey, now }: { apiKey: ApiKey; now: number }) {
  const status = apiKeyStatus(apiKey, now);
  if (status === 'active') {
    return (
      <Badge color="green" variant="light" radius="sm" tt="none">
        Active
      </Badge>
    );
  }
  const at = status === 'revoked' ? apiKey.revokedAt : apiKey.expiresAt;
  return (
    <Tooltip
      label={`${status === 'revoked' ? 'Revoked' : 'Expired'} on ${at ? formatDateTime(at) : '—'}`}
      withArrow
      events={{ hover: true, focus: true, touch: true }}
    >
      <Badge color={status === 'revoked' ? 'gray' : 'orange'} variant="light" radius="sm" tt="none" tabIndex={0}>
        {status === 'revoked' ? 'Revoked' : 'Expired'}
      </Badge>
    </Tooltip>
  );
}
