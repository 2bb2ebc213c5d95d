import { Alert, Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { useState, type FormEvent, type ReactNode } from 'react';
import { errorMessage, isApiError } from '../api';
import { NAME_MAX_LENGTH, validateName } from '../lib/validation';

/** Problems that are about the name itself are shown under the field; others above the form. */
const FIELD_CODES = new Set(['NAME_TAKEN', 'VALIDATION_FAILED']);

export interface NameModalProps {
  opened: boolean;
  onClose: () => void;
  title: string;
  description?: ReactNode;
  submitLabel: string;
  initialName?: string;
  placeholder?: string;
  /** Performs the request; rejecting keeps the modal open and shows the error. */
  onSubmit: (name: string) => Promise<unknown>;
}

/** A one-field form in a modal: create or rename a customer or a site. */
export function NameModal({ opened, onClose, title, ...formProps }: NameModalProps) {
  return (
    <Modal opened={opened} onClose={onClose} title={title} centered closeButtonProps={{ 'aria-label': 'Close dialog' }}>
      <NameForm onCancel={onClose} {...formProps} />
    </Modal>
  );
}

type NameFormProps = Omit<NameModalProps, 'opened' | 'onClose' | 'title'> & { onCancel: () => void };

function NameForm({ description, submitLabel, initialName = '', placeholder, onSubmit, onCancel }: NameFormProps) {
  const [name, setName] = useState(initialName);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (submitting) return;
    const invalid = validateName(name);
    setFormError(null);
    setFieldError(invalid);
    if (invalid) return;
    setSubmitting(true);
    try {
      await onSubmit(name.trim());
    } catch (error) {
      if (isApiError(error) && FIELD_CODES.has(error.code)) setFieldError(error.detail);
      else setFormError(errorMessage(error));
      setSubmitting(false);
    }
  }

  return (
    <form onSubmit={handleSubmit} noValidate>
      <Stack gap="md">
        {description ? (
          <Text size="sm" c="dimmed">
            {description}
          </Text>
        ) : null}
        {formError ? (
          <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title="Not saved">
            {formError}
          </Alert>
        ) : null}
        <TextInput
          label="Name"
          placeholder={placeholder}
          value={name}
          onChange={(event) => {
            setName(event.currentTarget.value);
            if (fieldError) setFieldError(null);
          }}
          error={fieldError}
          required
          withAsterisk={false}
          autoComplete="off"
          data-autofocus
          description={`Up to ${NAME_MAX_LENGTH} characters.`}
        />
        <Group justify="flex-end" gap="sm" mt="xs">
          <Button variant="default" onClick={onCancel} disabled={submitting}>
            Cancel
          </Button>
          <Button type="submit" loading={submitting}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
