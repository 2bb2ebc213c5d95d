import { Paper, Stack, Tabs } from '@mantine/core';
import { IconBrandApple } from '@tabler/icons-react';
import { PageHeader } from '../../components/PageHeader';
import { AbmTokensEmptyState } from './AbmTokensEmptyState';

export function AutoEnrollmentPage() {
  return (
    <Stack gap="lg" maw={1100}>
      <PageHeader
        title="Auto-Enrollment"
        description="Connect your customers' Apple Business Manager accounts so their new devices enroll in Orchard automatically."
      />
      <Paper withBorder radius="md">
        <Tabs defaultValue="abm">
          <Tabs.List px="md" pt="xs">
            <Tabs.Tab value="abm" leftSection={<IconBrandApple size={16} stroke={1.6} />}>
              Apple Business Manager
            </Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="abm">
            <AbmTokensEmptyState />
          </Tabs.Panel>
        </Tabs>
      </Paper>
    </Stack>
  );
}
