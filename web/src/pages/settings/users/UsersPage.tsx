import { AdminsOnly } from '../../../components/AdminsOnly';
import { Button, Paper, Stack } from '@mantine/core';
import { IconUserPlus } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import type { UserAccount } from '../../../api';
import { usePermissions } from '../../../auth/permissions';
import { useAuth } from '../../../auth/useAuth';
import { PageHeader } from '../../../components/PageHeader';
import { QueryErrorAlert } from '../../../components/QueryErrorAlert';
import { notifyError, notifySuccess } from '../../../lib/notify';
import { useAllCustomers } from '../../../queries/customers';
import { useCreatePasswordReset, useUpdateUser, useUsers } from '../../../queries/users';
import { UserDialogs, type UserDialog } from './UserDialogs';
import { UsersTable, type UserAction } from './UsersTable';

/** Settings › Users: admins add, change, disable and delete the people who sign in to Orchard. */
export function UsersPage() {
  const { canAdminister } = usePermissions();
  return canAdminister ? (
    <Users />
  ) : (
    <AdminsOnly title="Only admins manage users" description="Ask an Orchard admin to add, change or disable users." />
  );
}

function Users() {
  const { user: me, refreshUser } = useAuth();
  const [dialog, setDialog] = useState<UserDialog | null>(null);
  const users = useUsers();
  const customers = useAllCustomers();
  const customerNames = useMemo(
    () => (customers.data ? new Map(customers.data.map((customer) => [customer.id, customer.name])) : undefined),
    [customers.data],
  );
  const update = useUpdateUser();
  const reset = useCreatePasswordReset();

  function handleAction(action: UserAction, user: UserAccount) {
    switch (action) {
      case 'edit':
      case 'disable':
      case 'delete':
        return setDialog({ kind: action, user });
      case 'enable':
        return update.mutate(
          { id: user.id, changes: { disabled: false } },
          {
            onSuccess: () =>
              notifySuccess(
                'User enabled',
                `${user.email} can sign in again. API keys revoked when it was disabled stay revoked.`,
              ),
            onError: (error) => notifyError('Could not enable the user', error),
          },
        );
      case 'reset-password':
        return reset.mutate(user, {
          onSuccess: (link) => setDialog({ kind: 'link', user, link }),
          onError: (error) => notifyError('Could not make a password link', error),
        });
    }
  }

  return (
    <Stack gap="lg" maw={1100}>
      <PageHeader
        title="Users"
        description="The people who sign in to Orchard. Technicians and read-only users see only the customers you assign to them."
        actions={
          <Button leftSection={<IconUserPlus size={16} />} onClick={() => setDialog({ kind: 'add' })}>
            Add user
          </Button>
        }
      />
      <Paper withBorder radius="md">
        {users.isError ? (
          <Stack p="md">
            <QueryErrorAlert
              title="Could not load users"
              error={users.error}
              onRetry={() => void users.refetch()}
              retrying={users.isRefetching}
            />
          </Stack>
        ) : (
          <UsersTable
            users={users.data ?? []}
            loading={users.isPending}
            customerNames={customerNames}
            currentUserId={me?.id}
            onAction={handleAction}
          />
        )}
      </Paper>
      <UserDialogs
        dialog={dialog}
        onChange={setDialog}
        onSaved={(saved) => {
          // An admin who changed their own email or role: the menu and navigation follow. Should
          // this fail, the next request meets the same server and says so.
          if (saved.id === me?.id) refreshUser().catch(() => undefined);
        }}
      />
    </Stack>
  );
}
