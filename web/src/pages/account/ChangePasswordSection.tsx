import { Alert, Button, Group, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { errorMessage, refusedField } from '../../api';
import { notifySuccess } from '../../lib/notify';
import { PASSWORD_MIN_LENGTH, validateNewPassword } from '../../lib/validation';
import { useChangePassword } from '../../queries/account';

interface FieldErrors {
  currentPassword?: string;
  newPassword?: string;
  repeat?: string;
}

const EMPTY = { currentPassword: '', newPassword: '', repeat: '' };

export function ChangePasswordSection() {
  const change = useChangePassword();
  const [values, setValues] = useState(EMPTY);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<unknown>(null);

  function set(field: keyof typeof EMPTY, value: string) {
    setValues((current) => ({ ...current, [field]: value }));
    setErrors((current) => ({ ...current, [field]: undefined }));
  }

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (change.isPending) return;
    const problems = validateNewPassword(values.newPassword, values.repeat);
    const invalid: FieldErrors = {
      currentPassword: values.currentPassword === '' ? 'Enter your current password.' : undefined,
      newPassword: problems.password,
      repeat: problems.repeat,
    };
    setErrors(invalid);
    setFormError(null);
    if (invalid.currentPassword || invalid.newPassword || invalid.repeat) return;
    try {
      await change.mutateAsync({ currentPassword: values.currentPassword, newPassword: values.newPassword });
      setValues(EMPTY);
      notifySuccess('Password changed', 'Your other sessions were signed out.');
    } catch (error) {
      const refused = refusedField(error, ['currentPassword', 'newPassword']);
      if (refused) setErrors({ [refused.field]: refused.detail });
      else setFormError(error);
    }
  }

  return (
    <Stack gap="sm" component="section" aria-labelledby="password-heading">
      <Stack gap={2}>
        <Title order={3} id="password-heading">
          Password
        </Title>
        <Text size="sm" c="dimmed">
          Changing it signs you out everywhere but here.
        </Text>
      </Stack>
      <Paper withBorder radius="md" p="md">
        <form onSubmit={handleSubmit} noValidate>
          <Stack gap="md" maw={420}>
            {formError ? (
              <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title="Not changed" role="alert">
                {errorMessage(formError)}
              </Alert>
            ) : null}
            <PasswordInput
              label="Current password"
              autoComplete="current-password"
              value={values.currentPassword}
              onChange={(event) => set('currentPassword', event.currentTarget.value)}
              error={errors.currentPassword}
              visibilityToggleButtonProps={{ 'aria-label': 'Show or hide characters' }}
            />
            <PasswordInput
              label="New password"
              description={`At least ${PASSWORD_MIN_LENGTH} characters.`}
              autoComplete="new-password"
              value={values.newPassword}
              onChange={(event) => set('newPassword', event.currentTarget.value)}
              error={errors.newPassword}
              visibilityToggleButtonProps={{ 'aria-label': 'Show or hide characters' }}
            />
            <PasswordInput
              label="Repeat the new password"
              autoComplete="new-password"
              value={values.repeat}
              onChange={(event) => set('repeat', event.currentTarget.value)}
              error={errors.repeat}
              visibilityToggleButtonProps={{ 'aria-label': 'Show or hide characters' }}
            />
            <Group>
              <Button type="submit" loading={change.isPending}>
                Change password
              </Button>
            </Group>
          </Stack>
        </form>
      </Paper>
    </Stack>
  );
}
