import { Alert, Button, Group, Stack, TextInput } from '@mantine/core';
import { IconAlertCircle, IconPlus } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { errorMessage, refusedField } from '../../../api';
import { notifySuccess } from '../../../lib/notify';
import { useAddEmailRecipient } from '../../../queries/emailRecipients';

export interface AddRecipientFormProps {
  /** Null: an MSP-wide recipient (admins only). */
  customerId: string | null;
}

/** One address and Add: the field empties once it is added. */
export function AddRecipientForm({ customerId }: AddRecipientFormProps) {
  const add = useAddEmailRecipient();
  const [email, setEmail] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [formError, setFormError] = useState<unknown>(null);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (add.isPending) return;
    const address = email.trim();
    setFormError(null);
    if (address === '') {
      setFieldError('Enter an email address.');
      return;
    }
    setFieldError(null);
    try {
      const recipient = await add.mutateAsync({ email: address, customerId });
      notifySuccess('Recipient added', `${recipient.email} gets token reminders from now on.`);
      setEmail('');
    } catch (error) {
      const refused = refusedField(error, ['email'], { RECIPIENT_EXISTS: 'email' });
      if (refused) setFieldError(refused.detail);
      else setFormError(error);
    }
  }

  return (
    <form onSubmit={handleSubmit} noValidate>
      <Stack gap="sm">
        {formError ? (
          <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title="Not added" role="alert">
            {errorMessage(formError)}
          </Alert>
        ) : null}
        <Group align="flex-start" gap="sm" wrap="nowrap">
          <TextInput
            aria-label="Recipient email"
            type="email"
            placeholder="alerts@example.com"
            value={email}
            onChange={(event) => {
              setEmail(event.currentTarget.value);
              if (fieldError) setFieldError(null);
            }}
            error={fieldError}
            autoComplete="off"
            style={{ flex: '1 1 320px', maxWidth: 420 }}
          />
          <Button type="submit" leftSection={<IconPlus size={16} />} loading={add.isPending}>
            Add recipient
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
