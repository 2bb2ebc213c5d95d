import { AppShell, Burger, Group } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useEffect } from 'react';
import { Link, Outlet, useLocation } from 'react-router-dom';
import { Logo } from '../components/Logo';
import { MainNav } from './MainNav';
import { SandboxBanner } from './SandboxBanner';
import { UserMenu } from './UserMenu';

export function AppLayout() {
  const [mobileOpened, { toggle, close }] = useDisclosure(false);
  const { pathname } = useLocation();

  // On small screens the navbar overlays the page: close it after navigating.
  useEffect(close, [pathname, close]);

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 300, breakpoint: 'sm', collapsed: { mobile: !mobileOpened } }}
      padding={{ base: 'md', sm: 'xl' }}
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={mobileOpened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={mobileOpened ? 'Hide navigation' : 'Show navigation'}
            />
            <Link to="/customers" style={{ textDecoration: 'none', color: 'inherit' }} aria-label="Orchard home">
              <Logo />
            </Link>
          </Group>
          <UserMenu />
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm">
        <MainNav />
      </AppShell.Navbar>
      <AppShell.Main bg="gray.0">
        <SandboxBanner />
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
