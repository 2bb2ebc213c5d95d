import { Paper, Stack, Text, Title } from '@mantine/core';
import type { Customer } from '../../api';
import { usePermissions } from '../../auth/permissions';
import { QueryErrorAlert } from '../../components/QueryErrorAlert';
import { useEmailRecipients } from '../../queries/emailRecipients';
import { useSystemInfo } from '../../queries/system';
import { AddRecipientForm } from '../settings/email/AddRecipientForm';
import { RecipientsTable } from '../settings/email/RecipientsTable';

/** Who is mailed about this customer's tokens; read-only users see the list without Add or Remove. */
export function EmailRemindersSection({ customer }: { customer: Customer }) {
  const { canWrite } = usePermissions();
  const recipients = useEmailRecipients(customer.id);
  const system = useSystemInfo();

  return (
    <Stack gap="sm" component="section" aria-labelledby="email-reminders-heading">
      <Stack gap={2}>
        <Title order={3} id="email-reminders-heading">
          Email reminders
        </Title>
        <Text size="sm" c="dimmed">
          Mailed when one of {customer.name}’s ABM tokens is about to expire, has expired, needs Apple’s new terms
          accepted or was rejected. MSP-wide recipients are mailed too.
          {system.data && !system.data.email.configured
            ? ' Email is off on this server: nothing is sent until an admin sets it up.'
            : null}
        </Text>
      </Stack>
      <Paper withBorder radius="md">
        {canWrite ? (
          <Stack p="md" pb={0}>
            <AddRecipientForm customerId={customer.id} />
          </Stack>
        ) : null}
        {recipients.isError ? (
          <Stack p="md">
            <QueryErrorAlert
              title="Could not load recipients"
              error={recipients.error}
              onRetry={() => void recipients.refetch()}
              retrying={recipients.isRefetching}
            />
          </Stack>
        ) : (
          <RecipientsTable
            recipients={recipients.data ?? []}
            loading={recipients.isPending}
            empty={`No one is mailed about ${customer.name} alone yet.`}
            canRemove={canWrite}
          />
        )}
      </Paper>
    </Stack>
  );
}
