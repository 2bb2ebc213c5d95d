import { Center, Loader, Stack, Text } from '@mantine/core';

export function FullPageLoader({ label = 'Loading Orchard…' }: { label?: string }) {
  return (
    <Center h="100vh">
      <Stack align="center" gap="sm">
        <Loader color="green" />
        <Text size="sm" c="dimmed">
          {label}
        </Text>
      </Stack>
    </Center>
  );
}
