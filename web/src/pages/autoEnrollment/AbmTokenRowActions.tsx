import { ActionIcon, Menu, Table } from '@mantine/core';
import {
  IconArrowsExchange,
  IconCloudDownload,
  IconDots,
  IconDownload,
  IconFileSettings,
  IconPlayerPlay,
  IconRefresh,
  IconTrash,
} from '@tabler/icons-react';
import type { AbmToken } from '../../api';
import { usePermissions } from '../../auth/permissions';
import { isAwaiting, tokenDisplayName } from './tokenStatus';

export type AbmTokenAction = 'continue' | 'sync' | 'profile' | 'download-key' | 'renew' | 'move' | 'delete';

export interface AbmTokenRowActionsProps {
  token: AbmToken;
  onAction: (action: AbmTokenAction, token: AbmToken) => void;
}

/**
 * The row's menu, labelled "Actions for <MDM server>" ("Actions for pending token" before the
 * upload). A read-only user gets what only reads: the profile to look at, the public key.
 */
export function AbmTokenRowActions({ token, onAction }: AbmTokenRowActionsProps) {
  const awaiting = isAwaiting(token);
  const { canWrite } = usePermissions();
  return (
    <Table.Td ta="right" role="none">
      <Menu position="bottom-end" withinPortal shadow="md" width={220}>
        <Menu.Target>
          <ActionIcon variant="subtle" color="gray" aria-label={`Actions for ${tokenDisplayName(token)}`}>
            <IconDots size={18} />
          </ActionIcon>
        </Menu.Target>
        <Menu.Dropdown>
          {awaiting ? (
            canWrite ? (
              <Menu.Item leftSection={<IconPlayerPlay size={16} />} onClick={() => onAction('continue', token)}>
                Continue setup
              </Menu.Item>
            ) : null
          ) : (
            <>
              {canWrite ? (
                <Menu.Item leftSection={<IconCloudDownload size={16} />} onClick={() => onAction('sync', token)}>
                  Sync now
                </Menu.Item>
              ) : null}
              <Menu.Item leftSection={<IconFileSettings size={16} />} onClick={() => onAction('profile', token)}>
                Enrollment profile
              </Menu.Item>
              <Menu.Divider />
            </>
          )}
          <Menu.Item leftSection={<IconDownload size={16} />} onClick={() => onAction('download-key', token)}>
            Download public key
          </Menu.Item>
          {canWrite ? (
            <>
              {!awaiting ? (
                <Menu.Item leftSection={<IconRefresh size={16} />} onClick={() => onAction('renew', token)}>
                  Renew
                </Menu.Item>
              ) : null}
              <Menu.Item leftSection={<IconArrowsExchange size={16} />} onClick={() => onAction('move', token)}>
                Move
              </Menu.Item>
              <Menu.Divider />
              <Menu.Item leftSection={<IconTrash size={16} />} color="red" onClick={() => onAction('delete', token)}>
                Delete
              </Menu.Item>
            </>
          ) : null}
        </Menu.Dropdown>
      </Menu>
    </Table.Td>
  );
}
