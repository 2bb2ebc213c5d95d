import {
  Alert,
  Anchor,
  Breadcrumbs,
  Button,
  EmptyState,
  Paper,
  SimpleGrid,
  Skeleton,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { IconAlertTriangle, IconChevronDown, IconSend, IconWebhook } from '@tabler/icons-react';
import { useMemo, useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { isApiError, type Webhook } from '../../../api';
import { usePermissions } from '../../../auth/permissions';
import { PageHeader } from '../../../components/PageHeader';
import { QueryErrorAlert } from '../../../components/QueryErrorAlert';
import { formatDate } from '../../../lib/format';
import { useAllCustomers } from '../../../queries/customers';
import { useWebhook, useWebhookDeliveries } from '../../../queries/webhooks';
import { DeliveriesTable } from './DeliveriesTable';
import { WebhookActionsMenu, useWebhookActions } from './WebhookActions';
import { EventBadges, WebhookCustomers, WebhookStatusBadge, disabledText } from './WebhookBadges';
import { WebhookDialogs, type WebhookDialog } from './WebhookDialogs';
import { AdminsOnly } from '../../../components/AdminsOnly';

/** Settings › Webhooks › one webhook: what it gets, and its deliveries with every attempt. */
export function WebhookDetailPage() {
  const { canAdminister } = usePermissions();
  return canAdminister ? (
    <WebhookDetailLoader />
  ) : (
    <AdminsOnly
      title="Only admins manage webhooks"
      description="Ask an Orchard admin to add or change the webhooks Orchard sends events to."
    />
  );
}

function WebhookDetailLoader() {
  const { id = '' } = useParams();
  const webhook = useWebhook(id);

  if (webhook.isPending) return <DetailSkeleton />;
  if (webhook.isError) {
    if (isApiError(webhook.error) && webhook.error.status === 404) return <WebhookNotFound />;
    return (
      <Stack gap="lg" maw={1100}>
        <WebhookBreadcrumbs name="Webhook" />
        <QueryErrorAlert
          title="Could not load the webhook"
          error={webhook.error}
          onRetry={() => void webhook.refetch()}
          retrying={webhook.isRefetching}
        />
      </Stack>
    );
  }
  return <WebhookDetail webhook={webhook.data} />;
}

function WebhookDetail({ webhook }: { webhook: Webhook }) {
  const navigate = useNavigate();
  const [dialog, setDialog] = useState<WebhookDialog | null>(null);
  const { handle, testing } = useWebhookActions({ onDialog: setDialog });
  const customers = useAllCustomers();
  const customerNames = useMemo(
    () => (customers.data ? new Map(customers.data.map((customer) => [customer.id, customer.name])) : undefined),
    [customers.data],
  );
  const disabled = webhook.disabledAt !== null;

  return (
    <Stack gap="xl" maw={1100}>
      <PageHeader
        above={<WebhookBreadcrumbs name={webhook.url} />}
        title={<span style={{ overflowWrap: 'anywhere' }}>{webhook.url}</span>}
        description={
          <Stack gap={2}>
            {webhook.description ? <span style={{ overflowWrap: 'anywhere' }}>{webhook.description}</span> : null}
            <span>
              Added {formatDate(webhook.createdAt)}
              {webhook.updatedAt !== webhook.createdAt ? ` · Changed ${formatDate(webhook.updatedAt)}` : ''}
            </span>
          </Stack>
        }
        actions={
          <>
            <Button leftSection={<IconSend size={16} />} onClick={() => handle('test', webhook)} loading={testing}>
              Send test
            </Button>
            <WebhookActionsMenu
              webhook={webhook}
              onAction={handle}
              onOwnPage
              target={
                <Button variant="default" rightSection={<IconChevronDown size={16} />}>
                  Webhook actions
                </Button>
              }
            />
          </>
        }
      />

      {disabled ? (
        <Alert color="orange" variant="light" icon={<IconAlertTriangle size={18} />} title="This webhook is disabled">
          <Stack gap="sm" align="flex-start">
            <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
              {disabledText(webhook)} New events are not sent to it, and deliveries not yet made wait until it is
              enabled again. Send test still sends a test message.
            </Text>
            <Button size="xs" variant="white" color="orange" onClick={() => handle('enable', webhook)}>
              Enable webhook
            </Button>
          </Stack>
        </Alert>
      ) : null}

      <Paper withBorder radius="md" p="md">
        <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="lg">
          <Fact label="Events">
            <EventBadges events={webhook.events} />
          </Fact>
          <Fact label="Customers">
            <WebhookCustomers webhook={webhook} names={customerNames} />
          </Fact>
          <Fact label="Status">
            <WebhookStatusBadge webhook={webhook} />
          </Fact>
        </SimpleGrid>
      </Paper>

      <DeliveriesSection webhook={webhook} onSendTest={() => handle('test', webhook)} testing={testing} />

      <WebhookDialogs
        dialog={dialog}
        onChange={setDialog}
        onDeleted={() => navigate('/settings/webhooks', { replace: true })}
      />
    </Stack>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={6}>
      <Text size="xs" fw={600} c="dimmed" tt="uppercase">
        {label}
      </Text>
      {children}
    </Stack>
  );
}

interface DeliveriesSectionProps {
  webhook: Webhook;
  onSendTest: () => void;
  testing: boolean;
}

function DeliveriesSection({ webhook, onSendTest, testing }: DeliveriesSectionProps) {
  const disabled = webhook.disabledAt !== null;
  const list = useWebhookDeliveries(webhook.id, { held: disabled });
  const deliveries = useMemo(() => list.data?.pages.flatMap((page) => page.items) ?? [], [list.data]);

  let body: ReactNode;
  if (list.isError && deliveries.length === 0) {
    body = (
      <Stack p="md">
        <QueryErrorAlert
          title="Could not load the deliveries"
          error={list.error}
          onRetry={() => void list.refetch()}
          retrying={list.isRefetching}
        />
      </Stack>
    );
  } else if (!list.isPending && deliveries.length === 0) {
    body = (
      <EmptyState
        py={40}
        icon={<IconWebhook size={28} stroke={1.5} />}
        variant="light"
        title="No deliveries yet"
        description="Each event this webhook gets is listed here with every attempt to send it. Send a test message to check the receiver now."
      >
        <EmptyState.Actions>
          <Button variant="light" onClick={onSendTest} loading={testing}>
            Send a test message
          </Button>
        </EmptyState.Actions>
      </EmptyState>
    );
  } else {
    body = (
      <DeliveriesTable
        deliveries={deliveries}
        loading={list.isPending}
        webhookDisabled={disabled}
        hasMore={list.hasNextPage}
        loadingMore={list.isFetchingNextPage}
        onLoadMore={() => void list.fetchNextPage()}
      />
    );
  }

  return (
    <Stack gap="sm">
      <Stack gap={2}>
        <Title order={3}>Deliveries</Title>
        <Text size="sm" c="dimmed">
          Newest first. A delivery that fails is tried again, waiting longer each time, for a day; then Orchard gives up
          and disables the webhook.
        </Text>
      </Stack>
      <Paper withBorder radius="md">
        {body}
      </Paper>
    </Stack>
  );
}

function WebhookBreadcrumbs({ name }: { name: string }) {
  return (
    <Breadcrumbs separator="›" separatorMargin={6} fz="sm">
      <Anchor component={Link} to="/settings/webhooks" size="sm">
        Webhooks
      </Anchor>
      <Text size="sm" c="dimmed" truncate="end" maw={480}>
        {name}
      </Text>
    </Breadcrumbs>
  );
}

function DetailSkeleton() {
  return (
    <Stack gap="lg" maw={1100} aria-busy="true" aria-label="Loading webhook">
      <Skeleton height={14} width={180} radius="sm" />
      <Skeleton height={30} width={420} radius="sm" />
      <Skeleton height={14} width={220} radius="sm" />
      <Skeleton height={90} radius="md" mt="md" />
      <Skeleton height={220} radius="md" />
    </Stack>
  );
}

function WebhookNotFound() {
  return (
    <Paper withBorder radius="md" maw={1100}>
      <EmptyState
        py={56}
        icon={<IconWebhook size={28} stroke={1.5} />}
        withIndicatorBackground
        title="Webhook not found"
        description="It may have been deleted, or the link is wrong."
      >
        <EmptyState.Actions>
          <Button component={Link} to="/settings/webhooks" variant="default">
            Back to webhooks
          </Button>
        </EmptyState.Actions>
      </EmptyState>
    </Paper>
  );
}
