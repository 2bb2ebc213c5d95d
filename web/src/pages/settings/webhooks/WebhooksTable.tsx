import { Anchor, Stack, Table, Text } from '@mantine/core';
import { Link } from 'react-router-dom';
import type { Webhook } from '../../../api';
import { RowActionsHeader } from '../../../components/RowActions';
import { TableSkeletonRows } from '../../../components/TableSkeleton';
import { WebhookActionsMenu, webhookPath, type WebhookAction } from './WebhookActions';
import { EventBadges, WebhookCustomers, WebhookStatusBadge } from './WebhookBadges';

export interface WebhooksTableProps {
  webhooks: Webhook[];
  loading: boolean;
  /** Customer names by id; undefined until they are loaded. */
  customerNames: ReadonlyMap<string, string> | undefined;
  onAction: (action: WebhookAction, webhook: Webhook) => void;
}

export function WebhooksTable({ webhooks, loading, customerNames, onAction }: WebhooksTableProps) {
  return (
    <Table.ScrollContainer minWidth={900}>
      <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>URL</Table.Th>
            <Table.Th w="30%">Events</Table.Th>
            <Table.Th w="18%">Customers</Table.Th>
            <Table.Th w={110}>Status</Table.Th>
            <RowActionsHeader />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {loading ? (
            <TableSkeletonRows columns={5} rows={3} />
          ) : (
            webhooks.map((webhook) => (
              <Table.Tr key={webhook.id}>
                <Table.Td>
                  <Stack gap={2}>
                    <Anchor
                      component={Link}
                      to={webhookPath(webhook)}
                      size="sm"
                      fw={500}
                      style={{ overflowWrap: 'anywhere' }}
                    >
                      {webhook.url}
                    </Anchor>
                    {webhook.description ? (
                      <Text size="xs" c="dimmed" lineClamp={2} style={{ overflowWrap: 'anywhere' }}>
                        {webhook.description}
                      </Text>
                    ) : null}
                  </Stack>
                </Table.Td>
                <Table.Td>
                  <EventBadges events={webhook.events} />
                </Table.Td>
                <Table.Td>
                  <WebhookCustomers webhook={webhook} names={customerNames} />
                </Table.Td>
                <Table.Td>
                  <WebhookStatusBadge webhook={webhook} />
                </Table.Td>
                {/* role none, as in RowActionsCell: the row's URL stays the only cell with that name. */}
                <Table.Td ta="right" role="none">
                  <WebhookActionsMenu webhook={webhook} onAction={onAction} />
                </Table.Td>
              </Table.Tr>
            ))
          )}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
