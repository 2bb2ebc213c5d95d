import { Avatar, Group, Menu, Text, UnstyledButton } from '@mantine/core';
import { IconChevronDown, IconLogout } from '@tabler/icons-react';
import { useState } from 'react';
import { useAuth } from '../auth/useAuth';
import { notifyError } from '../lib/notify';

const ROLE_LABELS: Record<string, string> = { admin: 'MSP admin', technician: 'Technician' };

export function UserMenu() {
  const { user, signOut } = useAuth();
  const [signingOut, setSigningOut] = useState(false);
  if (!user) return null;

  async function handleSignOut() {
    setSigningOut(true);
    try {
      // RequireAuth then shows /login.
      await signOut();
    } catch (error) {
      notifyError('Could not sign out', error);
      setSigningOut(false);
    }
  }

  return (
    <Menu position="bottom-end" width={240} shadow="md" withinPortal>
      <Menu.Target>
        <UnstyledButton aria-label={`User menu (${user.email})`} px="xs" py={4} style={{ borderRadius: 8 }}>
          <Group gap="xs" wrap="nowrap">
            <Avatar size={30} radius="xl" color="green" aria-hidden>
              {user.email.slice(0, 1).toUpperCase()}
            </Avatar>
            <Text size="sm" fw={500} visibleFrom="xs" style={{ maxWidth: 240 }} truncate="end">
              {user.email}
            </Text>
            <IconChevronDown size={14} stroke={1.6} aria-hidden />
          </Group>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{ROLE_LABELS[user.role] ?? user.role}</Menu.Label>
        <Menu.Item leftSection={<IconLogout size={16} />} onClick={handleSignOut} disabled={signingOut}>
          Sign out
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
