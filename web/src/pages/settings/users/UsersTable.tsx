import { ActionIcon, Badge, Group, Menu, Table, Text, Tooltip } from '@mantine/core';
import { IconDots, IconKey, IconPencil, IconPlayerPlay, IconTrash, IconUserOff } from '@tabler/icons-react';
import type { UserAccount } from '../../../api';
import { hasCustomerScope, roleLabel } from '../../../auth/roles';
import { RowActionsHeader } from '../../../components/RowActions';
import { TableSkeletonRows } from '../../../components/TableSkeleton';
import { formatDate, formatDateTime, plural } from '../../../lib/format';
import { userStatus } from './userStatus';

export type UserAction = 'edit' | 'reset-password' | 'disable' | 'enable' | 'delete';

export interface UsersTableProps {
  users: UserAccount[];
  loading: boolean;
  /** Customer names by id; undefined until they are loaded. */
  customerNames: ReadonlyMap<string, string> | undefined;
  currentUserId: string | undefined;
  onAction: (action: UserAction, user: UserAccount) => void;
}

export function UsersTable({ users, loading, customerNames, currentUserId, onAction }: UsersTableProps) {
  return (
    <Table.ScrollContainer minWidth={760}>
      <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Email</Table.Th>
            <Table.Th w={130}>Role</Table.Th>
            <Table.Th>Customers</Table.Th>
            <Table.Th w={110}>Status</Table.Th>
            <Table.Th w={140}>Created</Table.Th>
            <RowActionsHeader />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {loading ? (
            <TableSkeletonRows columns={6} rows={3} />
          ) : (
            users.map((user) => (
              <Table.Tr key={user.id}>
                <Table.Td>
                  <Group gap={6} wrap="nowrap">
                    <Text size="sm" fw={500} style={{ overflowWrap: 'anywhere' }}>
                      {user.email}
                    </Text>
                    {user.id === currentUserId ? (
                      <Badge size="xs" variant="outline" color="gray" tt="none" style={{ flexShrink: 0 }}>
                        You
                      </Badge>
                    ) : null}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{roleLabel(user.role)}</Text>
                </Table.Td>
                <Table.Td>
                  <CustomerNames user={user} names={customerNames} />
                </Table.Td>
                <Table.Td>
                  <StatusBadge user={user} />
                </Table.Td>
                <Table.Td>
                  <Text size="sm" c="dimmed" title={formatDateTime(user.createdAt)}>
                    {formatDate(user.createdAt)}
                  </Text>
                </Table.Td>
                <UserRowActions user={user} self={user.id === currentUserId} onAction={onAction} />
              </Table.Tr>
            ))
          )}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function CustomerNames({ user, names }: { user: UserAccount; names: ReadonlyMap<string, string> | undefined }) {
  if (!hasCustomerScope(user.role)) {
    return (
      <Text size="sm" c="dimmed">
        All customers
      </Text>
    );
  }
  if (user.customerIds.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        None
      </Text>
    );
  }
  // Until the names are in, say how many.
  const known = names ? user.customerIds.map((id) => names.get(id)).filter((name) => name !== undefined) : [];
  if (known.length === 0) return <Text size="sm">{plural(user.customerIds.length, 'customer')}</Text>;
  return (
    <Text size="sm" lineClamp={2} title={known.join(', ')}>
      {known.join(', ')}
    </Text>
  );
}

const STATUS = {
  active: { label: 'Active', color: 'green', hint: null },
  invited: { label: 'Invited', color: 'blue', hint: 'Has not chosen a password yet.' },
  disabled: { label: 'Disabled', color: 'gray', hint: null },
} as const;

function StatusBadge({ user }: { user: UserAccount }) {
  const status = userStatus(user);
  const info = STATUS[status];
  const hint = user.disabledAt ? `Disabled on ${formatDateTime(user.disabledAt)}.` : info.hint;
  const badge = (
    <Badge color={info.color} variant="light" radius="sm" tt="none" tabIndex={hint ? 0 : undefined}>
      {info.label}
    </Badge>
  );
  if (!hint) return badge;
  return (
    <Tooltip label={hint} withArrow events={{ hover: true, focus: true, touch: true }}>
      {badge}
    </Tooltip>
  );
}

interface UserRowActionsProps {
  user: UserAccount;
  /** The signed-in admin's own row. */
  self: boolean;
  onAction: (action: UserAction, user: UserAccount) => void;
}

/** Not exposed as a cell, like RowActionsCell: the row's email stays the only cell with that name. */
function UserRowActions({ user, self, onAction }: UserRowActionsProps) {
  const disabled = user.disabledAt !== null;
  return (
    <Table.Td ta="right" role="none">
      <Menu position="bottom-end" withinPortal shadow="md" width={220}>
        <Menu.Target>
          <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${user.email}`}>
            <IconDots size={18} />
          </ActionIcon>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Item leftSection={<IconPencil size={16} />} onClick={() => onAction('edit', user)}>
            Edit
          </Menu.Item>
          {!disabled ? (
            <Menu.Item leftSection={<IconKey size={16} />} onClick={() => onAction('reset-password', user)}>
              {user.passwordSet ? 'Reset password' : 'New invitation link'}
            </Menu.Item>
          ) : null}
          {/* Disabling or deleting oneself would end this session at once: another admin does that. */}
          {!self ? (
            <>
              {disabled ? (
                <Menu.Item leftSection={<IconPlayerPlay size={16} />} onClick={() => onAction('enable', user)}>
                  Enable
                </Menu.Item>
              ) : (
                <Menu.Item leftSection={<IconUserOff size={16} />} onClick={() => onAction('disable', user)}>
                  Disable
                </Menu.Item>
              )}
              <Menu.Divider />
              <Menu.Item leftSection={<IconTrash size={16} />} color="red" onClick={() => onAction('delete', user)}>
                Delete
              </Menu.Item>
            </>
          ) : null}
        </Menu.Dropdown>
      </Menu>
    </Table.Td>
  );
}
