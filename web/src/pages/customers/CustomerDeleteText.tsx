import { Stack, Text } from '@mantine/core';
import type { Customer } from '../../api';
import { plural } from '../../lib/format';

export function CustomerDeleteText({ customer }: { customer: Customer }) {
  return (
    <Stack gap="xs">
      <Text size="sm">
        <Text span fw={600} size="sm">
          {customer.name}
        </Text>{' '}
        will be permanently removed from Orchard. This cannot be undone.
      </Text>
      {customer.siteCount > 0 ? (
        <Text size="sm" c="orange.8">
          This customer still has {plural(customer.siteCount, 'site')}. Orchard only deletes a customer without sites,
          so delete its sites first.
        </Text>
      ) : (
        <Text size="sm" c="dimmed">
          It has no sites, so nothing else is affected.
        </Text>
      )}
    </Stack>
  );
}
