import { Button, EmptyState, Group, Loader, Stack } from '@mantine/core';
import { IconFilterOff } from '@tabler/icons-react';
import { useState } from 'react';
import { abmTokensApi, type AbmToken, type AbmTokenFilters } from '../../api';
import { CustomerSelect } from '../../components/CustomerSelect';
import { QueryErrorAlert } from '../../components/QueryErrorAlert';
import { SiteSelect } from '../../components/SiteSelect';
import { downloadUrl } from '../../lib/download';
import { notifyError, notifySuccess } from '../../lib/notify';
import { useAbmTokenList, useSyncAbmToken } from '../../queries/abmTokens';
import { AbmTokenDialogs, type AbmTokenDialog } from './AbmTokenDialogs';
import type { AbmTokenAction } from './AbmTokenRowActions';
import { AbmTokensBanner } from './AbmTokensBanner';
import { AbmTokensEmptyState } from './AbmTokensEmptyState';
import { AbmTokensTable } from './AbmTokensTable';

export interface AbmTokensTabProps {
  filters: AbmTokenFilters;
  onFiltersChange: (filters: AbmTokenFilters) => void;
  highlightId: string | null;
  /** Absent for a read-only user. */
  onAdd?: () => void;
  onContinueSetup: (token: AbmToken) => void;
  onRenew: (token: AbmToken) => void;
  /** Where a token's Devices count links to (the Devices tab filtered by it). */
  devicesHref: (token: AbmToken) => string;
}

/** The Apple Business Manager tab: every ABM token, filtered by Customer and Site. */
export function AbmTokensTab({
  filters,
  onFiltersChange,
  highlightId,
  onAdd,
  onContinueSetup,
  onRenew,
  devicesHref,
}: AbmTokensTabProps) {
  const [dialog, setDialog] = useState<AbmTokenDialog | null>(null);
  const list = useAbmTokenList(filters);
  const tokens = list.data ?? [];
  const filtered = Boolean(filters.customerId || filters.siteId);
  const sync = useSyncAbmToken();

  function startSync(token: AbmToken) {
    sync.mutate(token, {
      onSuccess: (started) =>
        notifySuccess(
          'Sync started',
          `Orchard is fetching the devices assigned to ${started.serverName ?? token.serverName ?? 'this MDM server'} in Apple Business Manager.`,
        ),
      onError: (error) => notifyError('Could not start the sync', error),
    });
  }

  function handleAction(action: AbmTokenAction, token: AbmToken) {
    switch (action) {
      case 'continue':
        return onContinueSetup(token);
      case 'renew':
        return onRenew(token);
      case 'sync':
        return startSync(token);
      case 'profile':
        return setDialog({ kind: 'profile', token });
      case 'download-key':
        return downloadUrl(abmTokensApi.publicKeyUrl(token.id));
      case 'move':
      case 'delete':
        return setDialog({ kind: action, token });
    }
  }

  let body;
  if (list.isError && tokens.length === 0) {
    body = (
      <Stack px="md" pb="md">
        <QueryErrorAlert
          title="Could not load ABM tokens"
          error={list.error}
          onRetry={() => void list.refetch()}
          retrying={list.isRefetching}
        />
      </Stack>
    );
  } else if (!list.isPending && tokens.length === 0 && !list.isPlaceholderData) {
    body = filtered ? (
      <EmptyState
        py={48}
        icon={<IconFilterOff size={28} stroke={1.5} />}
        withIndicatorBackground
        title="No ABM tokens match"
        description="No ABM token belongs to this customer and site."
      >
        <EmptyState.Actions>
          <Button variant="default" onClick={() => onFiltersChange({})}>
            Clear filters
          </Button>
        </EmptyState.Actions>
      </EmptyState>
    ) : (
      <AbmTokensEmptyState onAdd={onAdd} />
    );
  } else {
    body = (
      <AbmTokensTable
        tokens={tokens}
        loading={list.isPending}
        highlightId={highlightId}
        onAction={handleAction}
        devicesHref={devicesHref}
      />
    );
  }

  return (
    <Stack gap={0}>
      <Group p="md" gap="md" align="flex-end">
        <CustomerSelect
          label="Customer"
          placeholder="All customers"
          value={filters.customerId ?? null}
          onChange={(customer) => onFiltersChange({ customerId: customer?.id })}
          clearable
          openOnFocus={false}
          w={280}
        />
        <SiteSelect
          label="Site"
          placeholder={filters.customerId ? 'All sites' : 'Select a customer first'}
          customerId={filters.customerId ?? null}
          value={filters.siteId ?? null}
          onChange={(site) => onFiltersChange({ customerId: filters.customerId, siteId: site?.id })}
          clearable
          w={240}
        />
        {list.isFetching && !list.isPending ? <Loader size={16} mb={10} aria-label="Refreshing" /> : null}
      </Group>
      {tokens.length > 0 ? (
        <Stack px="md" pb="md">
          <AbmTokensBanner tokens={tokens} />
        </Stack>
      ) : null}
      {body}
      <AbmTokenDialogs dialog={dialog} onClose={() => setDialog(null)} />
    </Stack>
  );
}
