import { AppShell, NavLink, ScrollArea } from '@mantine/core';
import {
  IconBook2,
  IconBrandApple,
  IconBuildingStore,
  IconExternalLink,
  IconHistory,
  IconSettings,
} from '@tabler/icons-react';
import { Link, useLocation } from 'react-router-dom';
import { usePermissions } from '../auth/permissions';

export function MainNav() {
  const { pathname } = useLocation();
  const { canAdminister } = usePermissions();
  const under = (prefix: string) => pathname === prefix || pathname.startsWith(`${prefix}/`);

  return (
    <>
      <AppShell.Section grow component={ScrollArea}>
        <NavLink
          component={Link}
          to="/customers"
          label="Customers"
          leftSection={<IconBuildingStore size={18} stroke={1.6} />}
          active={under('/customers')}
        />
        <NavLink
          label="Device Management for Apple"
          leftSection={<IconBrandApple size={18} stroke={1.6} />}
          defaultOpened
          childrenOffset={28}
        >
          <NavLink
            component={Link}
            to="/apple/auto-enrollment"
            label="Auto-Enrollment"
            active={under('/apple/auto-enrollment')}
          />
          <NavLink component={Link} to="/apple/devices" label="Devices" active={under('/apple/devices')} />
        </NavLink>
        {/* Everyone: the server shows each user the entries about its own customers. */}
        <NavLink
          component={Link}
          to="/audit-log"
          label="Audit log"
          leftSection={<IconHistory size={18} stroke={1.6} />}
          active={under('/audit-log')}
        />
        <NavLink
          label="Settings"
          leftSection={<IconSettings size={18} stroke={1.6} />}
          defaultOpened
          childrenOffset={28}
        >
          {canAdminister ? (
            <NavLink component={Link} to="/settings/users" label="Users" active={under('/settings/users')} />
          ) : null}
          <NavLink component={Link} to="/settings/api-keys" label="API keys" active={under('/settings/api-keys')} />
          {canAdminister ? (
            <NavLink component={Link} to="/settings/webhooks" label="Webhooks" active={under('/settings/webhooks')} />
          ) : null}
          {canAdminister ? (
            <NavLink component={Link} to="/settings/email" label="Email reminders" active={under('/settings/email')} />
          ) : null}
        </NavLink>
      </AppShell.Section>
      <AppShell.Section pt="sm" style={{ borderTop: '1px solid var(--mantine-color-default-border)' }}>
        <NavLink
          component="a"
          href="/docs"
          target="_blank"
          rel="noopener noreferrer"
          label="API documentation"
          leftSection={<IconBook2 size={18} stroke={1.6} />}
          rightSection={<IconExternalLink size={14} stroke={1.6} aria-hidden />}
        />
      </AppShell.Section>
    </>
  );
}
