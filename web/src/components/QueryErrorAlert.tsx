import { Alert, Button, Group, Text } from '@mantine/core';
import { IconAlertCircle, IconRefresh } from '@tabler/icons-react';
import { errorMessage } from '../api';

export interface QueryErrorAlertProps {
  title: string;
  error: unknown;
  onRetry?: () => void;
  retrying?: boolean;
}

export function QueryErrorAlert({ title, error, onRetry, retrying }: QueryErrorAlertProps) {
  return (
    <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title={title}>
      <Group justify="space-between" align="center" gap="md">
        <Text size="sm">{errorMessage(error)}</Text>
        {onRetry ? (
          <Button
            size="xs"
            variant="white"
            color="red"
            leftSection={<IconRefresh size={14} />}
            onClick={onRetry}
            loading={retrying}
          >
            Try again
          </Button>
        ) : null}
      </Group>
    </Alert>
  );
}
