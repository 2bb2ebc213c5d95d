import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { useState, type ReactNode } from 'react';
import { errorMessage } from '../api';

export interface ConfirmDeleteModalProps {
  opened: boolean;
  onClose: () => void;
  title: string;
  /** What will happen, in plain words. */
  children: ReactNode;
  /** Performs the deletion; rejecting keeps the modal open and shows the server's reason. */
  onConfirm: () => Promise<unknown>;
}

export function ConfirmDeleteModal({ opened, onClose, title, children, onConfirm }: ConfirmDeleteModalProps) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={title}
      centered
      closeButtonProps={{ 'aria-label': 'Close dialog' }}
    >
      <ConfirmBody onCancel={onClose} onConfirm={onConfirm}>
        {children}
      </ConfirmBody>
    </Modal>
  );
}

function ConfirmBody({ children, onConfirm, onCancel }: { children: ReactNode; onConfirm: () => Promise<unknown>; onCancel: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [working, setWorking] = useState(false);

  async function confirm() {
    setError(null);
    setWorking(true);
    try {
      await onConfirm();
    } catch (err) {
      setError(errorMessage(err));
      setWorking(false);
    }
  }

  return (
    <Stack gap="md">
      <Text size="sm" component="div">
        {children}
      </Text>
      {error ? (
        <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title="Not deleted">
          {error}
        </Alert>
      ) : null}
      <Group justify="flex-end" gap="sm" mt="xs">
        <Button variant="default" onClick={onCancel} disabled={working} data-autofocus>
          Cancel
        </Button>
        <Button color="red" onClick={confirm} loading={working}>
          Delete
        </Button>
      </Group>
    </Stack>
  );
}
