import { Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import type { Customer } from '../../api';
import { usePermissions } from '../../auth/permissions';
import { QueryErrorAlert } from '../../components/QueryErrorAlert';
import { useSiteList } from '../../queries/sites';
import { SiteDialogs, type SiteDialog } from './SiteDialogs';
import { SitesTable } from './SitesTable';

export function SitesSection({ customer }: { customer: Customer }) {
  const [dialog, setDialog] = useState<SiteDialog | null>(null);
  const { canWrite } = usePermissions();
  const list = useSiteList(customer.id);
  const sites = list.data?.pages.flatMap((page) => page.items) ?? [];

  return (
    <Stack gap="sm" component="section" aria-labelledby="sites-heading">
      <Group justify="space-between" align="flex-end">
        <Stack gap={2}>
          <Title order={3} id="sites-heading">
            Sites
          </Title>
          <Text size="sm" c="dimmed">
            Locations or departments of this customer. Each ABM token and its devices belong to one site.
          </Text>
        </Stack>
        {canWrite ? (
          <Button leftSection={<IconPlus size={16} />} onClick={() => setDialog({ kind: 'create' })}>
            New site
          </Button>
        ) : null}
      </Group>

      <Paper withBorder radius="md">
        {list.isError && sites.length === 0 ? (
          <Stack p="md">
            <QueryErrorAlert
              title="Could not load sites"
              error={list.error}
              onRetry={() => void list.refetch()}
              retrying={list.isRefetching}
            />
          </Stack>
        ) : (
          <SitesTable
            sites={sites}
            loading={list.isPending}
            hasMore={list.hasNextPage}
            loadingMore={list.isFetchingNextPage}
            onLoadMore={() => void list.fetchNextPage()}
            onCreate={canWrite ? () => setDialog({ kind: 'create' }) : undefined}
            onRename={canWrite ? (site) => setDialog({ kind: 'rename', site }) : undefined}
            onDelete={canWrite ? (site) => setDialog({ kind: 'delete', site }) : undefined}
          />
        )}
      </Paper>

      <SiteDialogs customer={customer} dialog={dialog} onClose={() => setDialog(null)} />
    </Stack>
  );
}
