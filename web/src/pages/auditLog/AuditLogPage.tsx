import { Button, EmptyState, Group, Paper, Select, Stack, TextInput } from '@mantine/core';
import { IconFilterOff, IconHistory } from '@tabler/icons-react';
import { useMemo, type ReactNode } from 'react';
import { useSearchParams } from 'react-router-dom';
import { isApiError } from '../../api';
import { usePermissions } from '../../auth/permissions';
import { useAuth } from '../../auth/useAuth';
import { CustomerSelect } from '../../components/CustomerSelect';
import { PageHeader } from '../../components/PageHeader';
import { QueryErrorAlert } from '../../components/QueryErrorAlert';
import { useAuditEventList } from '../../queries/auditEvents';
import { useAllCustomers } from '../../queries/customers';
import { useUsers } from '../../queries/users';
import { actionOptions } from './auditActions';
import { readAuditFilters, toQuery, writeAuditFilters, type AuditParam } from './auditFilters';
import { AuditLogTable } from './AuditLogTable';

/**
 * Who changed what, newest first. Admins see every entry; technicians and read-only users only
 * those about their customers (the server decides). The filters are in the URL.
 */
export function AuditLogPage() {
  const { user: me } = useAuth();
  // Entries about users, API keys and webhooks have no customer: only admins (read-only ones too) see them.
  const admin = me?.role === 'admin';
  const { canAdminister } = usePermissions();
  const [params, setParams] = useSearchParams();
  const filters = readAuditFilters(params);
  const list = useAuditEventList(toQuery(filters));
  const events = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);

  const customers = useAllCustomers();
  const customerNames = useMemo(
    () => (customers.data ? new Map(customers.data.map((customer) => [customer.id, customer.name])) : undefined),
    [customers.data],
  );
  const users = useUsers({ enabled: canAdminister });
  const userOptions = useMemo(() => {
    const options = (users.data ?? []).map((user) => ({ value: user.id, label: user.email }));
    if (filters.actorUserId && !options.some((option) => option.value === filters.actorUserId)) {
      options.unshift({ value: filters.actorUserId, label: users.isPending ? 'Loading…' : 'Deleted user' });
    }
    return options;
  }, [users.data, users.isPending, filters.actorUserId]);

  const setFilters = (changes: Partial<Record<AuditParam, string | undefined>>) =>
    setParams((current) => writeAuditFilters(current, changes), { replace: true });
  const clearFilters = () =>
    setFilters({ customerId: undefined, actorUserId: undefined, action: undefined, from: undefined, until: undefined });

  const filtered = Boolean(
    filters.customerId || filters.actorUserId || filters.action || filters.fromDay || filters.untilDay,
  );
  const rangeBackwards = Boolean(filters.fromDay && filters.untilDay && filters.untilDay < filters.fromDay);

  let body: ReactNode;
  if (list.isError && events.length === 0) {
    const hiddenCustomer = isApiError(list.error) && list.error.status === 404 && filters.customerId;
    body = (
      <Stack px="md" pb="md">
        {hiddenCustomer ? (
          <EmptyState
            py={48}
            icon={<IconFilterOff size={28} stroke={1.5} />}
            withIndicatorBackground
            title="Customer not found"
            description="This customer was deleted, or is not one of yours."
          >
            <EmptyState.Actions>
              <Button variant="default" onClick={clearFilters}>
                Show all entries
              </Button>
            </EmptyState.Actions>
          </EmptyState>
        ) : (
          <QueryErrorAlert
            title="Could not load the audit log"
            error={list.error}
            onRetry={() => void list.refetch()}
            retrying={list.isRefetching}
          />
        )}
      </Stack>
    );
  } else if (!list.isPending && events.length === 0 && !list.isPlaceholderData) {
    body = filtered ? (
      <EmptyState
        py={48}
        icon={<IconFilterOff size={28} stroke={1.5} />}
        withIndicatorBackground
        title="No matching entries"
        description={
          rangeBackwards ? 'The “To” day is before the “From” day.' : 'Nothing recorded matches these filters.'
        }
      >
        <EmptyState.Actions>
          <Button variant="default" onClick={clearFilters}>
            Clear filters
          </Button>
        </EmptyState.Actions>
      </EmptyState>
    ) : (
      <EmptyState
        py={48}
        icon={<IconHistory size={28} stroke={1.5} />}
        variant="light"
        title="Nothing recorded yet"
        description={
          admin
            ? 'Changes to customers, sites, ABM tokens, users, API keys and webhooks appear here as they are made.'
            : 'Changes to your customers, their sites and ABM tokens appear here as they are made.'
        }
      />
    );
  } else {
    body = (
      <AuditLogTable
        events={events}
        loading={list.isPending}
        customerNames={customerNames}
        hasMore={list.hasNextPage}
        loadingMore={list.isFetchingNextPage}
        onLoadMore={() => void list.fetchNextPage()}
      />
    );
  }

  return (
    <Stack gap="lg" maw={1400}>
      <PageHeader
        title="Audit log"
        description={
          admin
            ? 'Who changed what, newest first: every change made by a user, an API key or the command line, and those Orchard makes itself.'
            : 'Who changed what about your customers, newest first, including the changes Orchard makes itself.'
        }
      />
      <Paper withBorder radius="md">
        <Stack gap={0}>
          <Group p="md" gap="md" align="flex-start">
            <CustomerSelect
              label="Customer"
              placeholder="All customers"
              value={filters.customerId ?? null}
              onChange={(customer) => setFilters({ customerId: customer?.id })}
              clearable
              openOnFocus={false}
              w={200}
            />
            <Select
              label="Action"
              placeholder="Any action"
              value={filters.action ?? null}
              onChange={(value) => setFilters({ action: value ?? undefined })}
              data={actionOptions(admin)}
              searchable
              clearable
              nothingFoundMessage="No action has this name."
              w={220}
            />
            {canAdminister ? (
              <Select
                label="Changed by"
                placeholder="Anyone"
                value={filters.actorUserId ?? null}
                onChange={(value) => setFilters({ actorUserId: value ?? undefined })}
                data={userOptions}
                searchable
                clearable
                nothingFoundMessage={users.isPending ? 'Loading users…' : 'No user has this email.'}
                w={200}
              />
            ) : null}
            <TextInput
              label="From"
              type="date"
              value={filters.fromDay ?? ''}
              onChange={(event) => setFilters({ from: event.currentTarget.value || undefined })}
              max={filters.untilDay}
              w={140}
            />
            <TextInput
              label="To"
              type="date"
              value={filters.untilDay ?? ''}
              onChange={(event) => setFilters({ until: event.currentTarget.value || undefined })}
              min={filters.fromDay}
              error={rangeBackwards ? 'Before the “From” day' : undefined}
              w={140}
            />
          </Group>
          {body}
        </Stack>
      </Paper>
    </Stack>
  );
}
