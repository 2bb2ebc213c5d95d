import { Alert, Button, Group, List, Modal, Stack, Text } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { errorMessage, isApiError, type AbmToken } from '../../api';
import { ConfirmDeleteModal } from '../../components/ConfirmDeleteModal';
import { CustomerSelect } from '../../components/CustomerSelect';
import { SiteSelect } from '../../components/SiteSelect';
import { plural } from '../../lib/format';
import { notifySuccess } from '../../lib/notify';
import { useHideAppBehindDialog } from '../../lib/useHideAppBehindDialog';
import { useDeleteAbmToken, useMoveAbmToken } from '../../queries/abmTokens';
import { EnrollmentProfileDrawer } from './profile/EnrollmentProfileDrawer';
import { isAwaiting, tokenDisplayName } from './tokenStatus';

export type AbmTokenDialog =
  { kind: 'move'; token: AbmToken } | { kind: 'delete'; token: AbmToken } | { kind: 'profile'; token: AbmToken };

/** Move, Delete and Enrollment profile for a token; at most one is open. */
export function AbmTokenDialogs({ dialog, onClose }: { dialog: AbmTokenDialog | null; onClose: () => void }) {
  const remove = useDeleteAbmToken();
  if (!dialog) return null;
  const { token } = dialog;

  if (dialog.kind === 'move') return <MoveTokenModal token={token} onClose={onClose} />;
  if (dialog.kind === 'profile') return <EnrollmentProfileDrawer token={token} onClose={onClose} />;

  return (
    <ConfirmDeleteModal
      opened
      onClose={onClose}
      title="Delete ABM token?"
      confirmLabel="Delete token"
      onConfirm={async () => {
        await remove.mutateAsync(token);
        notifySuccess('ABM token deleted');
        onClose();
      }}
    >
      {isAwaiting(token) ? (
        <Stack gap="xs">
          <Text size="sm">
            This pending token for {token.customerName} › {token.siteName} has no server token from Apple Business
            Manager yet. Deleting it destroys its key pair: a public key you downloaded for it can no longer be used.
          </Text>
          <Text size="sm" c="dimmed">
            If you already added an MDM server with that key in Apple Business Manager, it stays there; delete it there
            too, or connect it again later with a new key.
          </Text>
        </Stack>
      ) : (
        <Stack gap="xs">
          <Text size="sm">
            <Text span fw={600} size="sm">
              {tokenDisplayName(token)}
            </Text>{' '}
            ({token.customerName} › {token.siteName}) will be removed from Orchard. This cannot be undone.
          </Text>
          <List size="sm" spacing={4}>
            <List.Item>Orchard stops syncing devices from this MDM server.</List.Item>
            <List.Item>
              Devices assigned to it in Apple Business Manager will no longer enroll through Orchard
              {token.deviceCount > 0 ? `; its ${plural(token.deviceCount, 'device')} are marked as released` : ''}.
            </List.Item>
            <List.Item>Its private key and Apple credentials are destroyed.</List.Item>
          </List>
          <Text size="sm" c="dimmed">
            The MDM server itself stays in the customer’s Apple Business Manager account. Delete it there, or assign its
            devices to another MDM server, as needed.
          </Text>
        </Stack>
      )}
    </ConfirmDeleteModal>
  );
}

function MoveTokenModal({ token, onClose }: { token: AbmToken; onClose: () => void }) {
  useHideAppBehindDialog(true);
  const [customerId, setCustomerId] = useState<string | null>(token.customerId);
  const [siteId, setSiteId] = useState<string | null>(token.siteId);
  const [siteError, setSiteError] = useState<string | null>(null);
  const [formError, setFormError] = useState<unknown>(null);
  const move = useMoveAbmToken();
  const unchanged = customerId === token.customerId && siteId === token.siteId;

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (move.isPending || unchanged || !customerId) return;
    if (!siteId) {
      setSiteError('Select the site its devices move to.');
      return;
    }
    setFormError(null);
    try {
      const moved = await move.mutateAsync({ id: token.id, customerId, siteId });
      notifySuccess('ABM token moved', `Its devices now appear under ${moved.customerName} › ${moved.siteName}.`);
      onClose();
    } catch (error) {
      if (isApiError(error) && error.code === 'VALIDATION_FAILED') setSiteError(error.detail);
      else setFormError(error);
    }
  }

  return (
    <Modal opened onClose={onClose} title="Move ABM token" centered closeButtonProps={{ 'aria-label': 'Close dialog' }}>
      <form onSubmit={handleSubmit} noValidate>
        <Stack gap="md">
          <Text size="sm" c="dimmed">
            Move {token.serverName ? <strong>{token.serverName}</strong> : 'this pending token'} from{' '}
            {token.customerName} › {token.siteName}. Its devices move with it, and devices that enroll later appear
            under the new Customer and Site.
          </Text>
          {formError ? (
            <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title="Not moved" role="alert">
              {errorMessage(formError)}
            </Alert>
          ) : null}
          <CustomerSelect
            label="Customer"
            value={customerId}
            onChange={(customer) => {
              setCustomerId(customer?.id ?? null);
              setSiteId(null);
              setSiteError(null);
            }}
            allowDeselect={false}
            openOnFocus={false}
          />
          <SiteSelect
            label="Site"
            placeholder="Select a site"
            customerId={customerId}
            value={siteId}
            onChange={(site) => {
              setSiteId(site?.id ?? null);
              setSiteError(null);
            }}
            error={siteError}
            allowDeselect={false}
          />
          <Group justify="flex-end" gap="sm" mt="xs">
            <Button variant="default" onClick={onClose} disabled={move.isPending}>
              Cancel
            </Button>
            <Button type="submit" loading={move.isPending} disabled={unchanged}>
              Move token
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
