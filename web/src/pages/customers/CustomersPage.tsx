import { Button, Loader, Paper, Stack, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconPlus, IconSearch } from '@tabler/icons-react';
import { useState } from 'react';
import { usePermissions } from '../../auth/permissions';
import { PageHeader } from '../../components/PageHeader';
import { QueryErrorAlert } from '../../components/QueryErrorAlert';
import { useCustomerList } from '../../queries/customers';
import { CustomerDialogs, type CustomerDialog } from './CustomerDialogs';
import { CustomersTable } from './CustomersTable';

export function CustomersPage() {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 300);
  const [dialog, setDialog] = useState<CustomerDialog | null>(null);
  const { canWrite, canAdminister } = usePermissions();
  const list = useCustomerList(q);
  const customers = list.data?.pages.flatMap((page) => page.items) ?? [];
  const searching = list.isFetching && !list.isFetchingNextPage && (q !== '' || list.isPlaceholderData);

  return (
    <Stack gap="lg" maw={1100}>
      <PageHeader
        title="Customers"
        description="The organizations you manage. Each customer has sites; ABM tokens and their devices belong to a customer and site."
        actions={
          canAdminister ? (
            <Button leftSection={<IconPlus size={16} />} onClick={() => setDialog({ kind: 'create' })}>
              New customer
            </Button>
          ) : null
        }
      />

      <Paper withBorder radius="md">
        <TextInput
          aria-label="Search customers"
          placeholder="Search customers"
          type="search"
          value={search}
          onChange={(event) => setSearch(event.currentTarget.value)}
          leftSection={<IconSearch size={16} stroke={1.6} />}
          rightSection={searching ? <Loader size={14} /> : null}
          p="md"
          maw={420}
        />
        {list.isError && customers.length === 0 ? (
          <Stack px="md" pb="md">
            <QueryErrorAlert
              title="Could not load customers"
              error={list.error}
              onRetry={() => void list.refetch()}
              retrying={list.isRefetching}
            />
          </Stack>
        ) : (
          <CustomersTable
            customers={customers}
            loading={list.isPending}
            query={q}
            hasMore={list.hasNextPage}
            loadingMore={list.isFetchingNextPage}
            onLoadMore={() => void list.fetchNextPage()}
            onCreate={canAdminister ? () => setDialog({ kind: 'create' }) : undefined}
            onClearSearch={() => setSearch('')}
            onRename={canWrite ? (customer) => setDialog({ kind: 'rename', customer }) : undefined}
            onDelete={canAdminister ? (customer) => setDialog({ kind: 'delete', customer }) : undefined}
          />
        )}
      </Paper>

      <CustomerDialogs dialog={dialog} onClose={() => setDialog(null)} />
    </Stack>
  );
}
