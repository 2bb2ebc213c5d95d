import { Button, Center, Paper, Stack, Text, Title } from '@mantine/core';
import { IconCloudOff, IconRefresh } from '@tabler/icons-react';
import { errorMessage } from '../api';
import { Logo } from '../components/Logo';
import { useAuth } from './useAuth';

/** Shown when the session cannot be checked because the API failed (not a 401). */
export function ServerUnavailable() {
  const { error, reload } = useAuth();
  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Stack align="center" gap="lg" maw={440}>
        <Logo size="lg" />
        <Paper withBorder radius="md" p="xl" shadow="sm" w="100%">
          <Stack align="center" gap="sm">
            <IconCloudOff size={36} stroke={1.5} color="var(--mantine-color-red-6)" />
            <Title order={3} ta="center">
              Orchard is not responding
            </Title>
            <Text size="sm" c="dimmed" ta="center">
              {errorMessage(error)}
            </Text>
            <Button leftSection={<IconRefresh size={16} />} onClick={reload} mt="xs">
              Try again
            </Button>
          </Stack>
        </Paper>
      </Stack>
    </Center>
  );
}
