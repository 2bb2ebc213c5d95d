import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { useState, type ReactNode } from 'react';
import { errorMessage } from '../api';
import { useHideAppBehindDialog } from '../lib/useHideAppBehindDialog';

export interface ConfirmDeleteModalProps {
  opened: boolean;
  onClose: () => void;
  title: string;
  /** What will happen, in plain words. */
  children: ReactNode;
  /** Performs the deletion; rejecting keeps the modal open and shows the server's reason. */
  onConfirm: () => Promise<unknown>;
  /** The red button's label; "Delete" unless given. */
  confirmLabel?: string;
  /** The title of the server's refusal; "Not deleted" unless given. */
  failureTitle?: string;
}

export function ConfirmDeleteModal({
  opened,
  onClose,
  title,
  children,
  onConfirm,
  confirmLabel = 'Delete',
  failureTitle = 'Not deleted',
}: ConfirmDeleteModalProps) {
  useHideAppBehindDialog(opened);
  return (
    <Modal opened={opened} onClose={onClose} title={title} centered closeButtonProps={{ 'aria-label': 'Close dialog' }}>
      <ConfirmBody onCancel={onClose} onConfirm={onConfirm} confirmLabel={confirmLabel} failureTitle={failureTitle}>
        {children}
      </ConfirmBody>
    </Modal>
  );
}

interface ConfirmBodyProps {
  children: ReactNode;
  onConfirm: () => Promise<unknown>;
  onCancel: () => void;
  confirmLabel: string;
  failureTitle: string;
}

function ConfirmBody({ children, onConfirm, onCancel, confirmLabel, failureTitle }: ConfirmBodyProps) {
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
        <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title={failureTitle}>
          {error}
        </Alert>
      ) : null}
      <Group justify="flex-end" gap="sm" mt="xs">
        <Button variant="default" onClick={onCancel} disabled={working} data-autofocus>
          Cancel
        </Button>
        <Button color="red" onClick={confirm} loading={working}>
          {confirmLabel}
        </Button>
      </Group>
    </Stack>
  );
}
