import { Anchor, Breadcrumbs, Button, EmptyState, Group, Menu, Paper, Skeleton, Stack, Text } from '@mantine/core';
import { IconBuildingStore, IconChevronDown, IconHistory, IconPencil, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { isApiError, type Customer } from '../../api';
import { usePermissions } from '../../auth/permissions';
import { PageHeader } from '../../components/PageHeader';
import { QueryErrorAlert } from '../../components/QueryErrorAlert';
import { formatDate, plural } from '../../lib/format';
import { useCustomer } from '../../queries/customers';
import { useDeviceSummary } from '../../queries/devices';
import { EnrollmentCounts } from '../devices/EnrollmentCounts';
import { CustomerDialogs, type CustomerDialog } from './CustomerDialogs';
import { DevicesSection } from './DevicesSection';
import { EmailRemindersSection } from './EmailRemindersSection';
import { SitesSection } from './SitesSection';

export function CustomerDetailPage() {
  const { id = '' } = useParams();
  const customer = useCustomer(id);

  if (customer.isPending) return <DetailSkeleton />;
  if (customer.isError) {
    if (isApiError(customer.error) && customer.error.status === 404) return <CustomerNotFound />;
    return (
      <Stack gap="lg" maw={1100}>
        <CustomerBreadcrumbs name="Customer" />
        <QueryErrorAlert
          title="Could not load the customer"
          error={customer.error}
          onRetry={() => void customer.refetch()}
          retrying={customer.isRefetching}
        />
      </Stack>
    );
  }
  return <CustomerDetail customer={customer.data} />;
}

function CustomerDetail({ customer }: { customer: Customer }) {
  const navigate = useNavigate();
  const [dialog, setDialog] = useState<CustomerDialog | null>(null);
  // Technicians rename their customers; only admins delete one.
  const { canWrite, canAdminister } = usePermissions();

  return (
    <Stack gap="xl" maw={1100}>
      <PageHeader
        above={<CustomerBreadcrumbs name={customer.name} />}
        title={customer.name}
        description={<CustomerFacts customer={customer} />}
        actions={
          <>
            <Button
              component={Link}
              to={`/audit-log?customerId=${encodeURIComponent(customer.id)}`}
              variant="default"
              leftSection={<IconHistory size={16} />}
            >
              Audit log
            </Button>
            {canWrite ? (
              <Menu position="bottom-end" shadow="md" width={200} withinPortal>
                <Menu.Target>
                  <Button variant="default" rightSection={<IconChevronDown size={16} />}>
                    Customer actions
                  </Button>
                </Menu.Target>
                <Menu.Dropdown>
                  <Menu.Item
                    leftSection={<IconPencil size={16} />}
                    onClick={() => setDialog({ kind: 'rename', customer })}
                  >
                    Rename
                  </Menu.Item>
                  {canAdminister ? (
                    <Menu.Item
                      leftSection={<IconTrash size={16} />}
                      color="red"
                      onClick={() => setDialog({ kind: 'delete', customer })}
                    >
                      Delete
                    </Menu.Item>
                  ) : null}
                </Menu.Dropdown>
              </Menu>
            ) : null}
          </>
        }
      />

      <SitesSection customer={customer} />

      <DevicesSection customer={customer} />

      <EmailRemindersSection customer={customer} />

      <CustomerDialogs
        dialog={dialog}
        onClose={() => setDialog(null)}
        onDeleted={() => navigate('/customers', { replace: true })}
      />
    </Stack>
  );
}

/** "2 sites · 20 devices: 18 enrolled · 2 awaiting · Created Mar 4, 2026". */
function CustomerFacts({ customer }: { customer: Customer }) {
  const summary = useDeviceSummary({ customerId: customer.id }, { busy: false });
  const total = summary.data?.total ?? 0;
  return (
    <Group gap={6} wrap="wrap">
      <span>{plural(customer.siteCount, 'site')}</span>
      {summary.data && total > 0 ? (
        <>
          <span aria-hidden>·</span>
          <span>{plural(total, 'device')}:</span>
          <EnrollmentCounts counts={summary.data.byEnrollmentState} size="sm" c="dimmed" />
        </>
      ) : null}
      <span aria-hidden>·</span>
      <span>Created {formatDate(customer.createdAt)}</span>
    </Group>
  );
}

function CustomerBreadcrumbs({ name }: { name: string }) {
  return (
    <Breadcrumbs separator="›" separatorMargin={6} fz="sm">
      <Anchor component={Link} to="/customers" size="sm">
        Customers
      </Anchor>
      <Text size="sm" c="dimmed" truncate="end" maw={480}>
        {name}
      </Text>
    </Breadcrumbs>
  );
}

function DetailSkeleton() {
  return (
    <Stack gap="lg" maw={1100} aria-busy="true" aria-label="Loading customer">
      <Skeleton height={14} width={180} radius="sm" />
      <Skeleton height={30} width={320} radius="sm" />
      <Skeleton height={14} width={220} radius="sm" />
      <Skeleton height={220} radius="md" mt="md" />
    </Stack>
  );
}

function CustomerNotFound() {
  return (
    <Paper withBorder radius="md" maw={1100}>
      <EmptyState
        py={56}
        icon={<IconBuildingStore size={28} stroke={1.5} />}
        withIndicatorBackground
        title="Customer not found"
        description="It may have been deleted, or the link is wrong."
      >
        <EmptyState.Actions>
          <Button component={Link} to="/customers" variant="default">
            Back to customers
          </Button>
        </EmptyState.Actions>
      </EmptyState>
    </Paper>
  );
}
