import { AdminsOnly } from '../../../components/AdminsOnly';
import { Anchor, Button, EmptyState, Paper, Stack } from '@mantine/core';
import { IconPlus, IconWebhook } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import type { Webhook } from '../../../api';
import { usePermissions } from '../../../auth/permissions';
import { PageHeader } from '../../../components/PageHeader';
import { QueryErrorAlert } from '../../../components/QueryErrorAlert';
import { useAllCustomers } from '../../../queries/customers';
import { useWebhooks } from '../../../queries/webhooks';
import { useWebhookActions, webhookPath } from './WebhookActions';
import { WebhookDialogs, type WebhookDialog } from './WebhookDialogs';
import { WebhooksTable } from './WebhooksTable';

/** Settings › Webhooks: admins choose where Orchard sends events (token expiry, new devices) and for which customers. */
export function WebhooksPage() {
  const { canAdminister } = usePermissions();
  return canAdminister ? (
    <Webhooks />
  ) : (
    <AdminsOnly
      title="Only admins manage webhooks"
      description="Ask an Orchard admin to add or change the webhooks Orchard sends events to."
    />
  );
}

function Webhooks() {
  const navigate = useNavigate();
  const [dialog, setDialog] = useState<WebhookDialog | null>(null);
  const webhooks = useWebhooks();
  const customers = useAllCustomers();
  const customerNames = useMemo(
    () => (customers.data ? new Map(customers.data.map((customer) => [customer.id, customer.name])) : undefined),
    [customers.data],
  );
  const open = (webhook: Webhook) => navigate(webhookPath(webhook));
  const { handle } = useWebhookActions({ onDialog: setDialog, onOpen: open, onTestQueued: open });
  const openAdd = () => setDialog({ kind: 'add' });

  let body;
  if (webhooks.isError) {
    body = (
      <Stack p="md">
        <QueryErrorAlert
          title="Could not load webhooks"
          error={webhooks.error}
          onRetry={() => void webhooks.refetch()}
          retrying={webhooks.isRefetching}
        />
      </Stack>
    );
  } else if (webhooks.data?.length === 0) {
    body = (
      <EmptyState
        py={48}
        icon={<IconWebhook size={28} stroke={1.5} />}
        variant="light"
        title="No webhooks yet"
        description="Add one to have your PSA, ticketing or chat told when a token is about to expire or a device is added."
      >
        <EmptyState.Actions>
          <Button variant="light" onClick={openAdd}>
            Add your first webhook
          </Button>
        </EmptyState.Actions>
      </EmptyState>
    );
  } else {
    body = (
      <WebhooksTable
        webhooks={webhooks.data ?? []}
        loading={webhooks.isPending}
        customerNames={customerNames}
        onAction={handle}
      />
    );
  }

  return (
    <Stack gap="lg" maw={1100}>
      <PageHeader
        title="Webhooks"
        description={
          <>
            Orchard sends each event to the webhooks that want it as it happens, signed as{' '}
            <Anchor href="https://www.standardwebhooks.com" target="_blank" rel="noopener noreferrer" size="sm">
              Standard Webhooks
            </Anchor>{' '}
            says, and retries a failed delivery for a day.
          </>
        }
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={openAdd}>
            Add webhook
          </Button>
        }
      />
      <Paper withBorder radius="md">
        {body}
      </Paper>
      <WebhookDialogs dialog={dialog} onChange={setDialog} />
    </Stack>
  );
}
