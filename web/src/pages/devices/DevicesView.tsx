import {
  Box,
  Button,
  EmptyState,
  Group,
  Loader,
  SegmentedControl,
  Select,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconDeviceLaptop, IconFilterOff, IconRefresh, IconSearch, IconSearchOff } from '@tabler/icons-react';
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router-dom';
import type { AbmToken, Device, DeviceEnrollmentState, DeviceSummary } from '../../api';
import { normalizeSerialQuery } from '../../api/devices';
import { usePermissions } from '../../auth/permissions';
import { CustomerSelect } from '../../components/CustomerSelect';
import { QueryErrorAlert } from '../../components/QueryErrorAlert';
import { SiteSelect } from '../../components/SiteSelect';
import { plural } from '../../lib/format';
import { notifyError, notifySuccess } from '../../lib/notify';
import { isSyncing, useAbmTokenList, useSyncAbmToken } from '../../queries/abmTokens';
import { useDeviceList, useDeviceSummary } from '../../queries/devices';
import { syncWaitText } from '../autoEnrollment/tokenStatus';
import { DeviceDrawer } from './DeviceDrawer';
import { DEVICE_DRAWER_PARAM, readDeviceFilters, writeDeviceFilters, type DeviceParam } from './deviceFilters';
import { DevicesTable } from './DevicesTable';
import {
  ENROLLMENT_STATE,
  ENROLLMENT_STATES,
  PROFILE_STATUS,
  PROFILE_STATUSES,
  isEnrollmentState,
} from './deviceStatus';

export interface DevicesViewProps {
  /**
   * Set on a customer's own page: only that customer's devices, without the Customer filter
   * and column.
   */
  customerId?: string;
}

const ALL = 'all';

/**
 * Devices synced from Apple Business Manager, filtered by customer, site, token, enrollment
 * state and profile status, with a serial-number search. Its state is in the URL.
 */
export function DevicesView({ customerId: fixedCustomerId }: DevicesViewProps) {
  const [params, setParams] = useSearchParams();
  const location = useLocation();
  const navigate = useNavigate();
  const filters = readDeviceFilters(params, fixedCustomerId);
  const scope = { customerId: filters.customerId, siteId: filters.siteId, abmTokenId: filters.abmTokenId };

  const tokenList = useAbmTokenList({ customerId: filters.customerId, siteId: filters.siteId });
  const tokens = useMemo(() => tokenList.data ?? [], [tokenList.data]);
  const syncing = tokens.filter(
    (token) => isSyncing(token) && (!filters.abmTokenId || token.id === filters.abmTokenId),
  );
  const polling = { busy: syncing.length > 0 };

  const list = useDeviceList(filters, polling);
  const summary = useDeviceSummary(scope, polling);
  const devices = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);

  const setFilters = (changes: Partial<Record<DeviceParam, string | undefined>>) =>
    setParams((current) => writeDeviceFilters(current, changes), { replace: true });

  // The search box types freely; the URL (and the query) follow after a pause.
  const urlQ = params.get('q') ?? '';
  const [search, setSearch] = useState(urlQ);
  const [debounced] = useDebouncedValue(search.trim(), 300);
  const written = useRef(urlQ);
  useEffect(() => {
    // Back/forward or "Clear filters" changed the URL: show its search.
    if (urlQ !== written.current) {
      written.current = urlQ;
      setSearch(urlQ);
    }
  }, [urlQ]);
  useEffect(() => {
    if (debounced !== written.current) {
      written.current = debounced;
      setParams((current) => writeDeviceFilters(current, { q: debounced || undefined }), { replace: true });
    }
  }, [debounced, setParams]);

  // The drawer: opening adds a history entry, so the browser's Back closes it.
  const openSerial = params.get(DEVICE_DRAWER_PARAM);
  const openedHere = (location.state as { deviceOpenedHere?: boolean } | null)?.deviceOpenedHere === true;
  function openDevice(device: Device) {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        next.set(DEVICE_DRAWER_PARAM, device.serialNumber);
        return next;
      },
      { state: { deviceOpenedHere: true } },
    );
  }
  function closeDevice() {
    if (openedHere) {
      navigate(-1);
      return;
    }
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        next.delete(DEVICE_DRAWER_PARAM);
        return next;
      },
      { replace: true },
    );
  }

  function clearFilters() {
    setSearch('');
    written.current = '';
    setFilters({
      customerId: undefined,
      siteId: undefined,
      abmTokenId: undefined,
      enrollmentState: undefined,
      profileStatus: undefined,
      q: undefined,
    });
  }

  const narrowed = Boolean(filters.enrollmentState || filters.profileStatus || filters.q);
  const scoped = Boolean((!fixedCustomerId && filters.customerId) || filters.siteId || filters.abmTokenId);
  const searching = list.isFetching && !list.isFetchingNextPage && list.isPlaceholderData;

  let body: ReactNode;
  if (list.isError && devices.length === 0) {
    body = (
      <Stack px="md" pb="md">
        <QueryErrorAlert
          title="Could not load devices"
          error={list.error}
          onRetry={() => void list.refetch()}
          retrying={list.isRefetching}
        />
      </Stack>
    );
  } else if (!list.isPending && devices.length === 0 && !list.isPlaceholderData) {
    body = narrowed ? (
      <NoMatches
        query={filters.q ? normalizeSerialQuery(filters.q) : undefined}
        otherFilters={Boolean(filters.enrollmentState || filters.profileStatus || scoped)}
        onClearSearch={() => setSearch('')}
        onClearFilters={clearFilters}
      />
    ) : (
      <NoDevices
        tokens={tokens}
        tokensLoaded={tokenList.isSuccess}
        syncing={syncing}
        tokenId={filters.abmTokenId}
        customerId={filters.customerId}
        scoped={scoped}
        onClearFilters={clearFilters}
      />
    );
  } else {
    body = (
      <DevicesTable
        devices={devices}
        loading={list.isPending}
        showCustomer={!fixedCustomerId}
        hasMore={list.hasNextPage}
        loadingMore={list.isFetchingNextPage}
        onLoadMore={() => void list.fetchNextPage()}
        onOpen={openDevice}
      />
    );
  }

  const showSummary = Boolean(summary.data && (summary.data.total > 0 || filters.enrollmentState));

  return (
    <Stack gap={0}>
      <Group p="md" gap="md" align="flex-end">
        <TextInput
          aria-label="Search serial numbers"
          placeholder="Search serial numbers"
          type="search"
          value={search}
          onChange={(event) => setSearch(event.currentTarget.value)}
          leftSection={<IconSearch size={16} stroke={1.6} />}
          rightSection={searching ? <Loader size={14} /> : null}
          autoComplete="off"
          spellCheck={false}
          w={220}
        />
        {!fixedCustomerId ? (
          <CustomerSelect
            label="Customer"
            placeholder="All customers"
            value={filters.customerId ?? null}
            onChange={(customer) => setFilters({ customerId: customer?.id, siteId: undefined, abmTokenId: undefined })}
            clearable
            openOnFocus={false}
            w={220}
          />
        ) : null}
        <SiteSelect
          label="Site"
          placeholder={filters.customerId ? 'All sites' : 'Select a customer first'}
          customerId={filters.customerId ?? null}
          value={filters.siteId ?? null}
          onChange={(site) => setFilters({ siteId: site?.id, abmTokenId: undefined })}
          clearable
          w={180}
        />
        <TokenSelect
          tokens={tokens}
          value={filters.abmTokenId ?? null}
          onChange={(id) => setFilters({ abmTokenId: id ?? undefined })}
        />
        <Select
          label="Profile status"
          placeholder="Any"
          value={filters.profileStatus ?? null}
          onChange={(value) => setFilters({ profileStatus: value ?? undefined })}
          data={PROFILE_STATUSES.map((status) => ({ value: status, label: PROFILE_STATUS[status].label }))}
          renderOption={({ option }) => (
            <Group justify="space-between" wrap="nowrap" w="100%" gap="sm">
              <Text size="sm">{option.label}</Text>
              {summary.data?.byProfileStatus[option.value] !== undefined ? (
                <Text size="xs" c="dimmed">
                  {summary.data.byProfileStatus[option.value]}
                </Text>
              ) : null}
            </Group>
          )}
          clearable
          allowDeselect
          w={150}
        />
      </Group>

      {showSummary && summary.data ? (
        <EnrollmentSummary
          summary={summary.data}
          value={filters.enrollmentState}
          onChange={(state) => setFilters({ enrollmentState: state })}
        />
      ) : null}

      {syncing.length > 0 ? <SyncProgress tokens={syncing} /> : null}

      {body}

      <DeviceDrawer
        serialNumber={openSerial}
        fromList={devices.find((device) => device.serialNumber === openSerial)}
        onClose={closeDevice}
      />
    </Stack>
  );
}

/** ABM tokens are named by their MDM server; pending tokens have no devices and are not offered. */
function TokenSelect({
  tokens,
  value,
  onChange,
}: {
  tokens: AbmToken[];
  value: string | null;
  onChange: (id: string | null) => void;
}) {
  const connected = tokens.filter((token) => token.serverName);
  const byId = new Map(connected.map((token) => [token.id, token]));
  const data = connected.map((token) => ({ value: token.id, label: token.serverName ?? '' }));
  if (value && !byId.has(value)) data.unshift({ value, label: 'Selected token' });
  return (
    <Select
      label="ABM token"
      placeholder="All tokens"
      value={value}
      onChange={onChange}
      data={data}
      renderOption={({ option }) => {
        const token = byId.get(option.value);
        return (
          <Stack gap={0}>
            <Text size="sm">{option.label}</Text>
            {token ? (
              <Text size="xs" c="dimmed">
                {token.customerName} › {token.siteName}
              </Text>
            ) : null}
          </Stack>
        );
      }}
      nothingFoundMessage={tokens.length === 0 ? 'No ABM tokens here.' : 'No MDM server name contains this text.'}
      searchable
      clearable
      w={200}
    />
  );
}

/** Counts per enrollment state; choosing one filters the list. */
function EnrollmentSummary({
  summary,
  value,
  onChange,
}: {
  summary: DeviceSummary;
  value: DeviceEnrollmentState | undefined;
  onChange: (state: DeviceEnrollmentState | undefined) => void;
}) {
  const count = (label: string, n: number) => (
    <span style={{ whiteSpace: 'nowrap' }}>
      {label}{' '}
      <Text span size="xs" fw={700} c={n > 0 ? undefined : 'dimmed'} ml={4}>
        {n}
      </Text>
    </span>
  );
  const data = [
    { value: ALL, label: count('All', summary.total) },
    ...ENROLLMENT_STATES.map((state) => ({
      value: state,
      label: count(ENROLLMENT_STATE[state].label, summary.byEnrollmentState?.[state] ?? 0),
    })),
  ];
  return (
    <Box px="md" pb="md" style={{ overflowX: 'auto' }}>
      <SegmentedControl
        aria-label="Enrollment state"
        value={value ?? ALL}
        onChange={(next) => onChange(isEnrollmentState(next) ? next : undefined)}
        data={data}
        size="sm"
      />
    </Box>
  );
}

/** Progress of the syncs running in this view's scope; the list refreshes as devices arrive. */
function SyncProgress({ tokens }: { tokens: AbmToken[] }) {
  return (
    <Stack px="md" pb="md" gap={4} role="status">
      {tokens.map((token) => {
        const waiting = syncWaitText(token.sync);
        return waiting ? (
          <Text key={token.id} size="sm">
            {token.serverName ?? 'The MDM server'}: {waiting}.
          </Text>
        ) : (
          <Group key={token.id} gap="xs" wrap="nowrap">
            <Loader size={14} />
            <Text size="sm">
              Syncing {token.serverName ?? 'the MDM server'}… {plural(token.sync.devices, 'device')} (
              {plural(token.sync.pages, 'page')}) so far. The list updates as devices arrive.
            </Text>
          </Group>
        );
      })}
    </Stack>
  );
}

function NoMatches({
  query,
  otherFilters,
  onClearSearch,
  onClearFilters,
}: {
  query: string | undefined;
  otherFilters: boolean;
  onClearSearch: () => void;
  onClearFilters: () => void;
}) {
  const description = query
    ? `No serial number starts with “${query}”${otherFilters ? ' among the devices these filters select' : ''}.`
    : 'No device matches these filters.';
  return (
    <EmptyState
      py={48}
      icon={query ? <IconSearchOff size={28} stroke={1.5} /> : <IconFilterOff size={28} stroke={1.5} />}
      withIndicatorBackground
      title="No matching devices"
      description={description}
    >
      <EmptyState.Actions>
        {query ? (
          <Button variant="default" onClick={onClearSearch}>
            Clear search
          </Button>
        ) : null}
        {otherFilters || !query ? (
          <Button variant="default" onClick={onClearFilters}>
            Clear filters
          </Button>
        ) : null}
      </EmptyState.Actions>
    </EmptyState>
  );
}

/** No devices in this scope at all: say why, honestly, and what to do. */
function NoDevices({
  tokens,
  tokensLoaded,
  syncing,
  tokenId,
  customerId,
  scoped,
  onClearFilters,
}: {
  tokens: AbmToken[];
  tokensLoaded: boolean;
  syncing: AbmToken[];
  tokenId: string | undefined;
  customerId: string | undefined;
  scoped: boolean;
  onClearFilters: () => void;
}) {
  const sync = useSyncAbmToken();
  const { canWrite } = usePermissions();
  const token = tokenId ? tokens.find((item) => item.id === tokenId) : undefined;
  const connected = tokens.filter((item) => item.status !== 'awaiting_token');
  const abmTab = `/apple/auto-enrollment${customerId ? `?customerId=${encodeURIComponent(customerId)}` : ''}`;

  let description: string;
  let actions: ReactNode = null;
  if (syncing.length > 0) {
    description = 'A sync is running. Devices appear here as Orchard receives them from Apple Business Manager.';
  } else if (tokensLoaded && tokens.length === 0 && !tokenId) {
    description =
      'Connect an ABM token first: devices the customer assigns to its MDM server in Apple Business Manager appear here.';
    actions = (
      <Button component={Link} to={abmTab} variant="light">
        Go to ABM tokens
      </Button>
    );
  } else if (token && token.status === 'awaiting_token') {
    description = 'This token is awaiting its server token from Apple Business Manager. Finish its setup first.';
  } else if (tokenId) {
    description = 'Assign devices to this MDM server in Apple Business Manager, then Sync now.';
    actions =
      token && canWrite ? (
        <Button
          variant="light"
          leftSection={<IconRefresh size={16} />}
          loading={sync.isPending}
          onClick={() =>
            sync.mutate(token, {
              onSuccess: () => notifySuccess('Sync started', `Orchard is fetching the devices of ${token.serverName}.`),
              onError: (error) => notifyError('Could not start the sync', error),
            })
          }
        >
          Sync now
        </Button>
      ) : null;
  } else if (tokensLoaded && connected.length === 0) {
    description = 'No ABM token here is connected yet. Finish adding one, then assign devices to its MDM server.';
    actions = (
      <Button component={Link} to={abmTab} variant="light">
        Go to ABM tokens
      </Button>
    );
  } else {
    description = `Assign devices to ${connected.length === 1 ? 'this MDM server' : 'these MDM servers'} in Apple Business Manager, then choose Sync now in the token’s actions on the Apple Business Manager tab.`;
  }

  return (
    <EmptyState
      py={48}
      px="md"
      icon={<IconDeviceLaptop size={28} stroke={1.5} />}
      variant="light"
      title={syncing.length > 0 ? 'Syncing…' : 'No devices yet'}
      description={description}
    >
      <EmptyState.Actions>
        {actions}
        {scoped ? (
          <Button variant="default" onClick={onClearFilters}>
            Show all devices
          </Button>
        ) : null}
      </EmptyState.Actions>
    </EmptyState>
  );
}
