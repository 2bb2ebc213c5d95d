import { Text } from '@mantine/core';
import type { PasswordLink, UserAccount } from '../../../api';
import { ConfirmDeleteModal } from '../../../components/ConfirmDeleteModal';
import { OneTimeSecretModal } from '../../../components/OneTimeSecretModal';
import { formatDateTime } from '../../../lib/format';
import { notifySuccess } from '../../../lib/notify';
import { useDeleteUser, useUpdateUser } from '../../../queries/users';
import { AddUserModal } from './AddUserModal';
import { EditUserModal } from './EditUserModal';

export type UserDialog =
  | { kind: 'add' }
  | { kind: 'edit'; user: UserAccount }
  | { kind: 'disable'; user: UserAccount }
  | { kind: 'delete'; user: UserAccount }
  | { kind: 'link'; user: UserAccount; link: PasswordLink };

export interface UserDialogsProps {
  dialog: UserDialog | null;
  onChange: (dialog: UserDialog | null) => void;
  onSaved: (user: UserAccount) => void;
}

/** The users page's dialogs; at most one is open. Adding an invited user goes on to its link. */
export function UserDialogs({ dialog, onChange, onSaved }: UserDialogsProps) {
  const update = useUpdateUser();
  const remove = useDeleteUser();
  const close = () => onChange(null);

  if (!dialog) return null;

  switch (dialog.kind) {
    case 'add':
      return <AddUserModal onClose={close} onInvited={(user, link) => onChange({ kind: 'link', user, link })} />;
    case 'edit':
      return (
        <EditUserModal
          user={dialog.user}
          onClose={close}
          onSaved={(user) => {
            close();
            onSaved(user);
          }}
        />
      );
    case 'link':
      return <PasswordLinkModal user={dialog.user} link={dialog.link} onClose={close} />;
    case 'disable':
      return (
        <ConfirmDeleteModal
          opened
          onClose={close}
          title="Disable user?"
          confirmLabel="Disable user"
          failureTitle="Not disabled"
          onConfirm={async () => {
            await update.mutateAsync({ id: dialog.user.id, changes: { disabled: true } });
            notifySuccess('User disabled', `${dialog.user.email} is signed out and can no longer sign in.`);
            close();
          }}
        >
          <Text size="sm">
            <strong>{dialog.user.email}</strong> is signed out everywhere at once, and its API keys stop working at
            once. You can enable the user again later; its API keys stay revoked.
          </Text>
        </ConfirmDeleteModal>
      );
    case 'delete':
      return (
        <ConfirmDeleteModal
          opened
          onClose={close}
          title="Delete user?"
          confirmLabel="Delete user"
          onConfirm={async () => {
            await remove.mutateAsync(dialog.user);
            notifySuccess('User deleted');
            close();
          }}
        >
          <Text size="sm">
            <strong>{dialog.user.email}</strong> is removed from Orchard with its sessions and API keys. This cannot be
            undone. To keep the account for later, disable it instead.
          </Text>
        </ConfirmDeleteModal>
      );
  }
}

function PasswordLinkModal({ user, link, onClose }: { user: UserAccount; link: PasswordLink; onClose: () => void }) {
  const invite = link.purpose === 'invite';
  return (
    <OneTimeSecretModal
      onClose={onClose}
      title={invite ? 'Invitation link' : 'Password reset link'}
      label={invite ? 'Invitation link' : 'Password reset link'}
      secret={link.url}
      warning="This link will not be shown again: copy it now"
    >
      Send this link to <strong>{user.email}</strong>.{' '}
      {invite
        ? 'With it they choose a password, then sign in.'
        : 'With it they choose a new password; their current one works until then.'}{' '}
      It works once, until {formatDateTime(link.expiresAt)}.
    </OneTimeSecretModal>
  );
}
