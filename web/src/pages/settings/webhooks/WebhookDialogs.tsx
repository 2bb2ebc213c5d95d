import { Anchor, Code, Text } from '@mantine/core';
import type { Webhook } from '../../../api';
import { ConfirmDeleteModal } from '../../../components/ConfirmDeleteModal';
import { OneTimeSecretModal } from '../../../components/OneTimeSecretModal';
import { notifySuccess } from '../../../lib/notify';
import { useDeleteWebhook, useUpdateWebhook } from '../../../queries/webhooks';
import { WebhookFormModal } from './WebhookFormModal';

export type WebhookDialog =
  | { kind: 'add' }
  | { kind: 'created'; webhook: Webhook; secret: string }
  | { kind: 'edit'; webhook: Webhook }
  | { kind: 'disable'; webhook: Webhook }
  | { kind: 'delete'; webhook: Webhook };

export interface WebhookDialogsProps {
  dialog: WebhookDialog | null;
  onChange: (dialog: WebhookDialog | null) => void;
  /** The webhook was deleted (its own page goes back to the list). */
  onDeleted?: () => void;
}

/** The webhooks' dialogs; at most one is open. Adding a webhook goes on to its secret, shown once. */
export function WebhookDialogs({ dialog, onChange, onDeleted }: WebhookDialogsProps) {
  const update = useUpdateWebhook();
  const remove = useDeleteWebhook();
  const close = () => onChange(null);

  if (!dialog) return null;

  switch (dialog.kind) {
    case 'add':
    case 'edit':
      return (
        <WebhookFormModal
          webhook={dialog.kind === 'edit' ? dialog.webhook : undefined}
          onClose={close}
          onCreated={(webhook, secret) => onChange({ kind: 'created', webhook, secret })}
          onSaved={close}
        />
      );
    case 'created':
      return (
        <OneTimeSecretModal
          onClose={close}
          title="Webhook added"
          label="Signing secret"
          secret={dialog.secret}
          warning="Store it now: it cannot be shown again"
        >
          Orchard signs every message to <strong style={{ overflowWrap: 'anywhere' }}>{dialog.webhook.url}</strong> with
          this secret, as{' '}
          <Anchor href="https://www.standardwebhooks.com" target="_blank" rel="noopener noreferrer" size="sm">
            Standard Webhooks
          </Anchor>{' '}
          says. Give it to the receiver: it checks each message’s <Code>webhook-signature</Code> header with it (over
          the <Code>webhook-id</Code>, <Code>webhook-timestamp</Code> and the body) and refuses any message whose
          signature does not match. Send test to try it.
        </OneTimeSecretModal>
      );
    case 'disable':
      return (
        <ConfirmDeleteModal
          opened
          onClose={close}
          title="Disable webhook?"
          confirmLabel="Disable webhook"
          failureTitle="Not disabled"
          onConfirm={async () => {
            await update.mutateAsync({ id: dialog.webhook.id, changes: { enabled: false } });
            notifySuccess('Webhook disabled');
            close();
          }}
        >
          <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
            Orchard stops sending to <strong>{dialog.webhook.url}</strong>. Events that happen while it is disabled are
            never sent to it; deliveries not yet made wait, and are sent when you enable it again.
          </Text>
        </ConfirmDeleteModal>
      );
    case 'delete':
      return (
        <ConfirmDeleteModal
          opened
          onClose={close}
          title="Delete webhook?"
          confirmLabel="Delete webhook"
          onConfirm={async () => {
            await remove.mutateAsync(dialog.webhook);
            notifySuccess('Webhook deleted');
            close();
            onDeleted?.();
          }}
        >
          <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
            <strong>{dialog.webhook.url}</strong> gets no more events, and its signing secret and delivery log are
            deleted. This cannot be undone. To stop it for a while, disable it instead.
          </Text>
        </ConfirmDeleteModal>
      );
  }
}
