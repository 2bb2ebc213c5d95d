import { Alert, Button, Checkbox, Group, Modal, Select, Stack, TextInput } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { useMemo, useState, type FormEvent } from 'react';
import { errorMessage, refusedField, type ApiKey } from '../../../api';
import { useAuth } from '../../../auth/useAuth';
import { useHideAppBehindDialog } from '../../../lib/useHideAppBehindDialog';
import { NAME_MAX_LENGTH, validateName } from '../../../lib/validation';
import { useCreateApiKey } from '../../../queries/apiKeys';
import { useUsers } from '../../../queries/users';

interface FieldErrors {
  name?: string;
  expiresAt?: string;
  userId?: string;
}

export interface CreateApiKeyModalProps {
  /** Admins may create a key for another user. */
  forOthers: boolean;
  onClose: () => void;
  /** The key itself is in this answer only. */
  onCreated: (apiKey: ApiKey, key: string) => void;
}

export function CreateApiKeyModal({ forOthers, onClose, onCreated }: CreateApiKeyModalProps) {
  useHideAppBehindDialog(true);
  const { user: me } = useAuth();
  const create = useCreateApiKey();
  const users = useUsers({ enabled: forOthers });
  const [name, setName] = useState('');
  const [userId, setUserId] = useState(me?.id ?? '');
  const [expiresOn, setExpiresOn] = useState('');
  const [readOnly, setReadOnly] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<unknown>(null);

  // A disabled user cannot be given a key.
  const userOptions = useMemo(
    () =>
      (users.data ?? [])
        .filter((user) => user.disabledAt === null)
        .map((user) => ({ value: user.id, label: user.id === me?.id ? `${user.email} (you)` : user.email })),
    [users.data, me?.id],
  );

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (create.isPending) return;
    const invalid: FieldErrors = { name: validateName(name) ?? undefined };
    setErrors(invalid);
    setFormError(null);
    if (invalid.name) return;
    try {
      const { apiKey, key } = await create.mutateAsync({
        name: name.trim(),
        expiresAt: expiresOn ? endOfDay(expiresOn) : undefined,
        readOnly,
        userId: forOthers && userId !== me?.id ? userId : undefined,
      });
      onCreated(apiKey, key);
    } catch (error) {
      const refused = refusedField(error, ['name', 'expiresAt', 'userId']);
      if (refused) setErrors({ [refused.field]: refused.detail });
      else setFormError(error);
    }
  }

  return (
    <Modal opened onClose={onClose} title="Create API key" centered closeButtonProps={{ 'aria-label': 'Close dialog' }}>
      <form onSubmit={handleSubmit} noValidate>
        <Stack gap="md">
          {formError ? (
            <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title="Not created" role="alert">
              {errorMessage(formError)}
            </Alert>
          ) : null}
          <TextInput
            label="Name"
            description={`What the key is for, e.g. “PSA sync”. Up to ${NAME_MAX_LENGTH} characters.`}
            value={name}
            onChange={(event) => {
              setName(event.currentTarget.value);
              setErrors((current) => ({ ...current, name: undefined }));
            }}
            error={errors.name}
            autoComplete="off"
            required
            withAsterisk={false}
            data-autofocus
          />
          {forOthers ? (
            <Select
              label="Acts as"
              description="The key sees and changes what this user can."
              data={userOptions}
              value={userId}
              onChange={(id) => {
                if (id) setUserId(id);
                setErrors((current) => ({ ...current, userId: undefined }));
              }}
              error={errors.userId}
              searchable
              allowDeselect={false}
              nothingFoundMessage={users.isPending ? 'Loading users…' : 'No user has this email.'}
            />
          ) : null}
          <TextInput
            label="Expires on"
            type="date"
            description="The key stops working at the end of this day. Leave it empty for a key that does not expire."
            value={expiresOn}
            onChange={(event) => {
              setExpiresOn(event.currentTarget.value);
              setErrors((current) => ({ ...current, expiresAt: undefined }));
            }}
            error={errors.expiresAt}
          />
          <Checkbox
            label="Read-only"
            description="The key can read everything its user sees, and change nothing."
            checked={readOnly}
            onChange={(event) => setReadOnly(event.currentTarget.checked)}
          />
          <Group justify="flex-end" gap="sm" mt="xs">
            <Button variant="default" onClick={onClose} disabled={create.isPending}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Create key
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** "2027-06-30" from a date input: the last second of that day where the user is. */
function endOfDay(date: string): string {
  return new Date(`${date}T23:59:59`).toISOString();
}
