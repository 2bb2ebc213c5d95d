import { ActionIcon, Menu } from '@mantine/core';
import {
  IconDots,
  IconList,
  IconPencil,
  IconPlayerPause,
  IconPlayerPlay,
  IconSend,
  IconTrash,
} from '@tabler/icons-react';
import type { ReactNode } from 'react';
import type { Webhook } from '../../../api';
import { notifyError, notifySuccess } from '../../../lib/notify';
import { useSendTestMessage, useUpdateWebhook } from '../../../queries/webhooks';
import type { WebhookDialog } from './WebhookDialogs';

/** The webhook's own page, with its deliveries. */
export function webhookPath(webhook: Pick<Webhook, 'id'>): string {
  return `/settings/webhooks/${encodeURIComponent(webhook.id)}`;
}

export type WebhookAction = 'deliveries' | 'edit' | 'test' | 'disable' | 'enable' | 'delete';

export interface WebhookActionHandlers {
  /** Opens a dialog. */
  onDialog: (dialog: WebhookDialog) => void;
  /** A test message was queued (the list goes to the webhook's deliveries). */
  onTestQueued?: (webhook: Webhook) => void;
  /** Deliveries: the list goes to the webhook's own page. */
  onOpen?: (webhook: Webhook) => void;
}

/** What each action does: a dialog, or (enabling, sending a test) the request itself with a notification. */
export function useWebhookActions({ onDialog, onTestQueued, onOpen }: WebhookActionHandlers) {
  const update = useUpdateWebhook();
  const test = useSendTestMessage();

  function handle(action: WebhookAction, webhook: Webhook) {
    switch (action) {
      case 'deliveries':
        return onOpen?.(webhook);
      case 'edit':
      case 'disable':
      case 'delete':
        return onDialog({ kind: action, webhook });
      case 'enable':
        return update.mutate(
          { id: webhook.id, changes: { enabled: true } },
          {
            onSuccess: () =>
              notifySuccess('Webhook enabled', 'Orchard sends it new events, and the deliveries that waited.'),
            onError: (error) => notifyError('Could not enable the webhook', error),
          },
        );
      case 'test':
        return test.mutate(webhook, {
          onSuccess: () => {
            notifySuccess('Test message queued', 'Orchard sends it within a few seconds.');
            onTestQueued?.(webhook);
          },
          onError: (error) => notifyError('Could not send a test message', error),
        });
    }
  }

  return { handle, testing: test.isPending };
}

export interface WebhookActionsMenuProps {
  webhook: Webhook;
  onAction: (action: WebhookAction, webhook: Webhook) => void;
  /** The menu's button; a "⋯" icon button labelled "Actions for <url>" unless given. */
  target?: ReactNode;
  /** On the webhook's own page: its deliveries are there, and Send test is a button of its own. */
  onOwnPage?: boolean;
}

export function WebhookActionsMenu({ webhook, onAction, target, onOwnPage = false }: WebhookActionsMenuProps) {
  const disabled = webhook.disabledAt !== null;
  return (
    <Menu position="bottom-end" withinPortal shadow="md" width={200}>
      <Menu.Target>
        {target ?? (
          <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${webhook.url}`}>
            <IconDots size={18} />
          </ActionIcon>
        )}
      </Menu.Target>
      <Menu.Dropdown>
        {!onOwnPage ? (
          <>
            <Menu.Item leftSection={<IconList size={16} />} onClick={() => onAction('deliveries', webhook)}>
              Deliveries
            </Menu.Item>
            <Menu.Item leftSection={<IconSend size={16} />} onClick={() => onAction('test', webhook)}>
              Send test
            </Menu.Item>
          </>
        ) : null}
        <Menu.Item leftSection={<IconPencil size={16} />} onClick={() => onAction('edit', webhook)}>
          Edit
        </Menu.Item>
        {disabled ? (
          <Menu.Item leftSection={<IconPlayerPlay size={16} />} onClick={() => onAction('enable', webhook)}>
            Enable
          </Menu.Item>
        ) : (
          <Menu.Item leftSection={<IconPlayerPause size={16} />} onClick={() => onAction('disable', webhook)}>
            Disable
          </Menu.Item>
        )}
        <Menu.Divider />
        <Menu.Item leftSection={<IconTrash size={16} />} color="red" onClick={() => onAction('delete', webhook)}>
          Delete
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
