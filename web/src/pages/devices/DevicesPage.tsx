import { Paper, Stack } from '@mantine/core';
import { PageHeader } from '../../components/PageHeader';
import { DevicesView } from './DevicesView';

/** Device Management for Apple › Devices: the same view as the Auto-Enrollment page's Devices tab. */
export function DevicesPage() {
  return (
    <Stack gap="lg" maw={1400}>
      <PageHeader
        title="Devices"
        description="Devices your customers assigned to their MDM servers in Apple Business Manager, under the Customer and Site of each ABM token."
      />
      <Paper withBorder radius="md">
        <DevicesView />
      </Paper>
    </Stack>
  );
}
