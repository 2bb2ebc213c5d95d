import { Alert, Button, Group, Modal, PasswordInput, Radio, Stack, TextInput } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { errorMessage, refusedField, type PasswordLink, type UserAccount, type UserRole } from '../../../api';
import { hasCustomerScope } from '../../../auth/roles';
import { notifySuccess } from '../../../lib/notify';
import { useHideAppBehindDialog } from '../../../lib/useHideAppBehindDialog';
import { PASSWORD_MIN_LENGTH, validatePassword } from '../../../lib/validation';
import { useCreateUser } from '../../../queries/users';
import { CustomersField, RoleField } from './UserFields';

type PasswordChoice = 'invite' | 'password';

interface FieldErrors {
  email?: string;
  customerIds?: string;
  password?: string;
}

export interface AddUserModalProps {
  onClose: () => void;
  /** The user was invited: the link to pass on is in this answer only. */
  onInvited: (user: UserAccount, link: PasswordLink) => void;
}

export function AddUserModal({ onClose, onInvited }: AddUserModalProps) {
  useHideAppBehindDialog(true);
  const create = useCreateUser();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<UserRole>('technician');
  const [customerIds, setCustomerIds] = useState<string[]>([]);
  const [choice, setChoice] = useState<PasswordChoice>('invite');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<unknown>(null);

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (create.isPending) return;
    const invalid: FieldErrors = {
      email: email.trim() === '' ? 'Enter the user’s email address.' : undefined,
      password: choice === 'password' ? (validatePassword(password) ?? undefined) : undefined,
    };
    setErrors(invalid);
    setFormError(null);
    if (invalid.email || invalid.password) return;
    try {
      const { user, passwordLink } = await create.mutateAsync({
        email: email.trim(),
        role,
        customerIds: hasCustomerScope(role) ? customerIds : [],
        password: choice === 'password' ? password : undefined,
      });
      if (passwordLink) {
        onInvited(user, passwordLink);
      } else {
        notifySuccess('User added', `${user.email} can sign in with the password you set.`);
        onClose();
      }
    } catch (error) {
      const refused = refusedField(error, ['email', 'customerIds', 'password'], { EMAIL_TAKEN: 'email' });
      if (refused) setErrors({ [refused.field]: refused.detail });
      else setFormError(error);
    }
  }

  return (
    <Modal
      opened
      onClose={onClose}
      title="Add user"
      centered
      size="lg"
      closeButtonProps={{ 'aria-label': 'Close dialog' }}
    >
      <form onSubmit={handleSubmit} noValidate>
        <Stack gap="md">
          {formError ? (
            <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title="Not added" role="alert">
              {errorMessage(formError)}
            </Alert>
          ) : null}
          <TextInput
            label="Email"
            type="email"
            description="The user signs in with it."
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
          <Radio.Group
            label="First sign-in"
            value={choice}
            onChange={(value) => setChoice(value === 'password' ? 'password' : 'invite')}
          >
            <Stack gap="xs" mt={6}>
              <Radio
                value="invite"
                label="Send an invitation link"
                description="You get a one-time link to send to the user, who chooses a password with it. It works for 7 days."
              />
              <Radio
                value="password"
                label="Set a password now"
                description="Tell it to the user yourself; they can change it under My account."
              />
            </Stack>
          </Radio.Group>
          {choice === 'password' ? (
            <PasswordInput
              label="Password"
              description={`At least ${PASSWORD_MIN_LENGTH} characters.`}
              value={password}
              onChange={(event) => {
                setPassword(event.currentTarget.value);
                setErrors((current) => ({ ...current, password: undefined }));
              }}
              error={errors.password}
              autoComplete="new-password"
              visibilityToggleButtonProps={{ 'aria-label': 'Show or hide characters' }}
            />
          ) : null}
          <Group justify="flex-end" gap="sm" mt="xs">
            <Button variant="default" onClick={onClose} disabled={create.isPending}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Add user
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
