import { Avatar, Badge, Group, Menu, Text, Tooltip, UnstyledButton } from '@mantine/core';
import { IconChevronDown, IconLogout, IconUserCircle } from '@tabler/icons-react';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { roleLabel } from '../auth/roles';
import { useAuth } from '../auth/useAuth';
import { notifyError } from '../lib/notify';

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
    <Group gap="xs" wrap="nowrap">
      {user.readOnly ? <ReadOnlyBadge /> : null}
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
          <Menu.Label>{roleLabel(user.role)}</Menu.Label>
          <Menu.Item component={Link} to="/account" leftSection={<IconUserCircle size={16} />}>
            My account
          </Menu.Item>
          <Menu.Item leftSection={<IconLogout size={16} />} onClick={handleSignOut} disabled={signingOut}>
            Sign out
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>
    </Group>
  );
}

/** Says up front why the app offers no changes. */
function ReadOnlyBadge() {
  return (
    <Tooltip
      label="You can see your customers but change nothing. An Orchard admin can change your role."
      multiline
      w={260}
      withArrow
      events={{ hover: true, focus: true, touch: true }}
    >
      <Badge color="gray" variant="light" radius="sm" tt="none" tabIndex={0} style={{ cursor: 'help' }}>
        Read-only
      </Badge>
    </Tooltip>
  );
}
