import { AdminsOnly } from '../../../components/AdminsOnly';
import {
  Alert,
  Anchor,
  Button,
  Code,
  Group,
  Paper,
  Skeleton,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { IconAlertCircle, IconMailCheck, IconMailOff, IconSend } from '@tabler/icons-react';
import { useMemo, useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { errorMessage, type EmailRecipient } from '../../../api';
import { usePermissions } from '../../../auth/permissions';
import { useAuth } from '../../../auth/useAuth';
import { PageHeader } from '../../../components/PageHeader';
import { QueryErrorAlert } from '../../../components/QueryErrorAlert';
import { TableSkeletonRows } from '../../../components/TableSkeleton';
import { notifySuccess } from '../../../lib/notify';
import { useAllCustomers } from '../../../queries/customers';
import { useEmailRecipients, useSendTestEmail } from '../../../queries/emailRecipients';
import { useSystemInfo } from '../../../queries/system';
import { AddRecipientForm } from './AddRecipientForm';
import { RecipientsTable } from './RecipientsTable';

/** Settings › Email reminders: admins see whether Orchard can mail, test it, and choose the MSP-wide recipients. */
export function EmailPage() {
  const { canAdminister } = usePermissions();
  return canAdminister ? (
    <EmailReminders />
  ) : (
    <AdminsOnly
      title="Only admins manage email reminders"
      description="Technicians add reminder recipients for their customers on each customer’s page."
    />
  );
}

function EmailReminders() {
  const recipients = useEmailRecipients(null);
  const all = recipients.data ?? [];
  const mspWide = all.filter((recipient) => recipient.customerId === null);
  const perCustomer = all.filter((recipient) => recipient.customerId !== null);

  return (
    <Stack gap="xl" maw={1100}>
      <PageHeader
        title="Email reminders"
        description="Orchard mails these addresses when an ABM token expires in 30, 14, 7 or 1 days, has expired, needs Apple’s new terms accepted or was rejected. A recipient’s reminders wait a few minutes (ORCHARD_EMAIL_DIGEST_MINUTES, 15 unless set) and go as one email."
      />

      <EmailStatus />

      <Stack gap="sm" component="section" aria-labelledby="test-email-heading">
        <Stack gap={2}>
          <Title order={3} id="test-email-heading">
            Send test email
          </Title>
          <Text size="sm" c="dimmed">
            Mails one address now, to check the mail server takes Orchard’s mail.
          </Text>
        </Stack>
        <Paper withBorder radius="md" p="md">
          <TestEmailForm />
        </Paper>
      </Stack>

      <Stack gap="sm" component="section" aria-labelledby="msp-recipients-heading">
        <Stack gap={2}>
          <Title order={3} id="msp-recipients-heading">
            MSP-wide recipients
          </Title>
          <Text size="sm" c="dimmed">
            Mailed about the tokens of every customer.
          </Text>
        </Stack>
        <Paper withBorder radius="md">
          <Stack p="md" pb={0}>
            <AddRecipientForm customerId={null} />
          </Stack>
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
              recipients={mspWide}
              loading={recipients.isPending}
              empty="No MSP-wide recipients yet: add the address your team watches."
              canRemove
            />
          )}
        </Paper>
      </Stack>

      {recipients.isError ? null : (
        <Stack gap="sm" component="section" aria-labelledby="customer-recipients-heading">
          <Stack gap={2}>
            <Title order={3} id="customer-recipients-heading">
              Customers’ recipients
            </Title>
            <Text size="sm" c="dimmed">
              Mailed about one customer’s tokens only. Add or remove them on the customer’s page.
            </Text>
          </Stack>
          <Paper withBorder radius="md">
            <CustomerRecipients recipients={perCustomer} loading={recipients.isPending} />
          </Paper>
        </Stack>
      )}
    </Stack>
  );
}

/** "Email is on, sent from …" or what to set on the server to turn it on. */
function EmailStatus() {
  const system = useSystemInfo();
  if (system.isPending) return <Skeleton height={52} radius="md" />;
  if (system.isError) {
    return (
      <QueryErrorAlert
        title="Could not load Orchard’s settings"
        error={system.error}
        onRetry={() => void system.refetch()}
        retrying={system.isRefetching}
      />
    );
  }
  const { email } = system.data;
  if (email.configured) {
    return (
      <Alert color="green" variant="light" icon={<IconMailCheck size={18} />} title="Email is on">
        {email.from ? (
          <>
            Reminders are sent from <strong>{email.from}</strong>.
          </>
        ) : (
          'Reminders are sent through the mail server in ORCHARD_SMTP_URL.'
        )}
      </Alert>
    );
  }
  return (
    <Alert color="yellow" variant="light" icon={<IconMailOff size={18} />} title="Email is off">
      Orchard mails no one until it has a mail server: set <Code>ORCHARD_SMTP_URL</Code> and{' '}
      <Code>ORCHARD_SMTP_FROM</Code> on the server and restart Orchard.
    </Alert>
  );
}

function TestEmailForm() {
  const { user } = useAuth();
  const send = useSendTestEmail();
  const [to, setTo] = useState(user?.email ?? '');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [failure, setFailure] = useState<unknown>(null);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (send.isPending) return;
    const address = to.trim();
    setFailure(null);
    if (address === '') {
      setFieldError('Enter an email address.');
      return;
    }
    setFieldError(null);
    try {
      await send.mutateAsync(address);
      notifySuccess('Test email sent', `The mail server accepted it for ${address}.`);
    } catch (error) {
      setFailure(error);
    }
  }

  return (
    <form onSubmit={handleSubmit} noValidate>
      <Stack gap="sm">
        {failure ? (
          <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title="Not sent" role="alert">
            {errorMessage(failure)}
          </Alert>
        ) : null}
        <Group align="flex-start" gap="sm" wrap="nowrap">
          <TextInput
            aria-label="Send test email to"
            type="email"
            placeholder="you@example.com"
            value={to}
            onChange={(event) => {
              setTo(event.currentTarget.value);
              if (fieldError) setFieldError(null);
            }}
            error={fieldError}
            autoComplete="off"
            style={{ flex: '1 1 320px', maxWidth: 420 }}
          />
          <Button type="submit" variant="default" leftSection={<IconSend size={16} />} loading={send.isPending}>
            Send test email
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** Each customer's recipients, by customer name; read-only here. */
function CustomerRecipients({ recipients, loading }: { recipients: EmailRecipient[]; loading: boolean }) {
  const customers = useAllCustomers();
  const groups = useMemo(() => {
    const names = new Map((customers.data ?? []).map((customer) => [customer.id, customer.name]));
    const byCustomer = new Map<string, EmailRecipient[]>();
    for (const recipient of recipients) {
      const id = recipient.customerId ?? '';
      byCustomer.set(id, [...(byCustomer.get(id) ?? []), recipient]);
    }
    return [...byCustomer]
      .map(([id, list]) => ({ id, name: names.get(id) ?? 'Customer', recipients: list }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }, [customers.data, recipients]);

  if (!loading && groups.length === 0) {
    return (
      <Text size="sm" c="dimmed" p="md">
        No customer has recipients of its own.
      </Text>
    );
  }

  return (
    <Table.ScrollContainer minWidth={520}>
      <Table verticalSpacing="sm" horizontalSpacing="md">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w="40%">Customer</Table.Th>
            <Table.Th>Recipients</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {loading || customers.isPending ? (
            <TableSkeletonRows columns={2} rows={2} />
          ) : (
            groups.map((group) => (
              <Table.Tr key={group.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/customers/${encodeURIComponent(group.id)}`} size="sm" fw={500}>
                    {group.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <Stack gap={2}>
                    {group.recipients.map((recipient) => (
                      <Text key={recipient.id} size="sm" style={{ overflowWrap: 'anywhere' }}>
                        {recipient.email}
                      </Text>
                    ))}
                  </Stack>
                </Table.Td>
              </Table.Tr>
            ))
          )}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
