import { Button, Table, Text } from '@mantine/core';
import { useState } from 'react';
import type { EmailRecipient } from '../../../api';
import { ConfirmDeleteModal } from '../../../components/ConfirmDeleteModal';
import { TableSkeletonRows } from '../../../components/TableSkeleton';
import { formatDate, formatDateTime } from '../../../lib/format';
import { notifySuccess } from '../../../lib/notify';
import { useRemoveEmailRecipient } from '../../../queries/emailRecipients';

export interface RecipientsTableProps {
  recipients: EmailRecipient[];
  loading: boolean;
  /** Shown in place of the table when there are none. */
  empty: string;
  /** False for a read-only user: no Remove. */
  canRemove: boolean;
}

/** Email, added date and Remove (after a confirmation). */
export function RecipientsTable({ recipients, loading, empty, canRemove }: RecipientsTableProps) {
  const [removing, setRemoving] = useState<EmailRecipient | null>(null);
  const remove = useRemoveEmailRecipient();

  if (!loading && recipients.length === 0) {
    return (
      <Text size="sm" c="dimmed" p="md">
        {empty}
      </Text>
    );
  }

  return (
    <>
      <Table.ScrollContainer minWidth={520}>
        <Table verticalSpacing="sm" horizontalSpacing="md" highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Email</Table.Th>
              <Table.Th w={180}>Added</Table.Th>
              {canRemove ? <Table.Th w={100} role="none" /> : null}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {loading ? (
              <TableSkeletonRows columns={canRemove ? 3 : 2} rows={2} />
            ) : (
              recipients.map((recipient) => (
                <Table.Tr key={recipient.id}>
                  <Table.Td>
                    <Text size="sm" fw={500} style={{ overflowWrap: 'anywhere' }}>
                      {recipient.email}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" title={formatDateTime(recipient.createdAt)}>
                      {formatDate(recipient.createdAt)}
                    </Text>
                  </Table.Td>
                  {canRemove ? (
                    // role none, as in RowActionsCell: named "Remove <email>", the cell would match a lookup of the email.
                    <Table.Td ta="right" role="none">
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        onClick={() => setRemoving(recipient)}
                        aria-label={`Remove ${recipient.email}`}
                      >
                        Remove
                      </Button>
                    </Table.Td>
                  ) : null}
                </Table.Tr>
              ))
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {removing ? (
        <ConfirmDeleteModal
          opened
          onClose={() => setRemoving(null)}
          title="Remove recipient?"
          confirmLabel="Remove"
          failureTitle="Not removed"
          onConfirm={async () => {
            await remove.mutateAsync(removing.id);
            notifySuccess('Recipient removed', `${removing.email} gets no more reminders.`);
            setRemoving(null);
          }}
        >
          <Text size="sm">
            <strong>{removing.email}</strong> is no longer mailed when an ABM token is about to expire, has expired,
            needs Apple’s new terms accepted or was rejected.
          </Text>
        </ConfirmDeleteModal>
      ) : null}
    </>
  );
}
