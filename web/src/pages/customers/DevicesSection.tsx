import { Paper, Stack, Text, Title } from '@mantine/core';
import type { Customer } from '../../api';
import { DevicesView } from '../devices/DevicesView';

/** The customer's devices, by site, token, state and profile status. */
export function DevicesSection({ customer }: { customer: Customer }) {
  return (
    <Stack gap="sm" component="section" aria-labelledby="devices-heading">
      <Stack gap={2}>
        <Title order={3} id="devices-heading">
          Devices
        </Title>
        <Text size="sm" c="dimmed">
          Devices {customer.name} assigned to its MDM servers in Apple Business Manager, under the site of each ABM
          token.
        </Text>
      </Stack>
      <Paper withBorder radius="md">
        <DevicesView customerId={customer.id} />
      </Paper>
    </Stack>
  );
}
