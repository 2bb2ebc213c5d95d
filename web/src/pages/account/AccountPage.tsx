import { Stack } from '@mantine/core';
import { useAuth } from '../../auth/useAuth';
import { roleLabel } from '../../auth/roles';
import { PageHeader } from '../../components/PageHeader';
import { ChangePasswordSection } from './ChangePasswordSection';
import { SessionsSection } from './SessionsSection';

/** My account, from the user menu: one's own password and sessions (read-only users too). */
export function AccountPage() {
  const { user } = useAuth();
  return (
    <Stack gap="xl" maw={1100}>
      <PageHeader title="My account" description={user ? `${user.email} · ${roleLabel(user.role)}` : undefined} />
      <ChangePasswordSection />
      <SessionsSection />
    </Stack>
  );
}
