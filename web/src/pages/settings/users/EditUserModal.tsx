import { Alert, Button, Group, Modal, Stack, TextInput } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { errorMessage, refusedField, type UserAccount, type UserRole } from '../../../api';
import type { UserChanges } from '../../../api/users';
import { hasCustomerScope } from '../../../auth/roles';
import { notifySuccess } from '../../../lib/notify';
import { useHideAppBehindDialog } from '../../../lib/useHideAppBehindDialog';
import { useUpdateUser } from '../../../queries/users';
import { CustomersField, RoleField, knownRole, sameIds } from './UserFields';

interface FieldErrors {
  email?: string;
  customerIds?: string;
}

export interface EditUserModalProps {
  user: UserAccount;
  onClose: () => void;
  onSaved: (user: UserAccount) => void;
}

export function EditUserModal({ user, onClose, onSaved }: EditUserModalProps) {
  useHideAppBehindDialog(true);
  const update = useUpdateUser();
  const [email, setEmail] = useState(user.email);
  const [role, setRole] = useState<UserRole>(knownRole(user.role));
  const [customerIds, setCustomerIds] = useState<string[]>(user.customerIds);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<unknown>(null);

  /** Only what changed: an unchanged field is not sent, so it cannot be refused. */
  function changes(): UserChanges {
    const result: UserChanges = {};
    if (email.trim() !== user.email) result.email = email.trim();
    if (role !== user.role) result.role = role;
    // An admin has no customer list: it sees them all.
    const ids = hasCustomerScope(role) ? customerIds : [];
    if (!sameIds(ids, user.customerIds)) result.customerIds = ids;
    return result;
  }

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (update.isPending) return;
    const invalid: FieldErrors = { email: email.trim() === '' ? 'Enter the user’s email address.' : undefined };
    setErrors(invalid);
    setFormError(null);
    if (invalid.email) return;
    const patch = changes();
    if (Object.keys(patch).length === 0) {
      onClose();
      return;
    }
    try {
      const saved = await update.mutateAsync({ id: user.id, changes: patch });
      notifySuccess('User saved');
      onSaved(saved);
    } catch (error) {
      const refused = refusedField(error, ['email', 'customerIds'], { EMAIL_TAKEN: 'email' });
      if (refused) setErrors({ [refused.field]: refused.detail });
      else setFormError(error);
    }
  }

  return (
    <Modal
      opened
      onClose={onClose}
      title="Edit user"
      centered
      size="lg"
      closeButtonProps={{ 'aria-label': 'Close dialog' }}
    >
      <form onSubmit={handleSubmit} noValidate>
        <Stack gap="md">
          {formError ? (
            <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title="Not saved" role="alert">
              {errorMessage(formError)}
            </Alert>
          ) : null}
          <TextInput
            label="Email"
            type="email"
            value={email}
            onChange={(event) => {
              setEmail(event.currentTarget.value);
              setErrors((current) => ({ ...current, email: undefined }));
            }}
            error={errors.email}
            autoComplete="off"
            required
            withAsterisk={false}
            data-autofocus
          />
          <RoleField value={role} onChange={setRole} />
          {hasCustomerScope(role) ? (
            <CustomersField
              value={customerIds}
              onChange={(ids) => {
                setCustomerIds(ids);
                setErrors((current) => ({ ...current, customerIds: undefined }));
              }}
              error={errors.customerIds}
            />
          ) : null}
          <Group justify="flex-end" gap="sm" mt="xs">
            <Button variant="default" onClick={onClose} disabled={update.isPending}>
              Cancel
            </Button>
            <Button type="submit" loading={update.isPending}>
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
