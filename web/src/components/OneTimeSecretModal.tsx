import { ActionIcon, Alert, Button, CopyButton, Group, Modal, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { IconAlertTriangle, IconCheck, IconCopy } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { useHideAppBehindDialog } from '../lib/useHideAppBehindDialog';

export interface OneTimeSecretModalProps {
  onClose: () => void;
  title: string;
  /** The field's label: "Invitation link", "API key". */
  label: string;
  /** What the server answered once and keeps only a hash of. */
  secret: string;
  /** The warning's title: that it cannot be shown again. */
  warning: string;
  /** What the secret is for and who to pass it to. */
  children: ReactNode;
}

/** Shows a secret the server will never show again (an API key, a password link), with a copy button. */
export function OneTimeSecretModal({ onClose, title, label, secret, warning, children }: OneTimeSecretModalProps) {
  useHideAppBehindDialog(true);
  return (
    <Modal
      opened
      onClose={onClose}
      title={title}
      centered
      size="lg"
      // A stray click beside the dialog would lose the secret for good; Done or Escape closes it.
      closeOnClickOutside={false}
      closeButtonProps={{ 'aria-label': 'Close dialog' }}
    >
      <Stack gap="md">
        <Text size="sm" component="div">
          {children}
        </Text>
        <Alert color="yellow" variant="light" icon={<IconAlertTriangle size={18} />} title={warning} />
        <TextInput
          label={label}
          value={secret}
          readOnly
          // The clipboard API exists only on https and localhost: elsewhere the text is there to copy by hand.
          onFocus={(event) => event.currentTarget.select()}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
          rightSection={<CopySecretButton secret={secret} label={label} />}
        />
        <Group justify="flex-end" mt="xs">
          <Button onClick={onClose} data-autofocus>
            Done
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function CopySecretButton({ secret, label }: { secret: string; label: string }) {
  return (
    <CopyButton value={secret} timeout={2000}>
      {({ copied, copy }) => (
        <Tooltip label={copied ? 'Copied' : 'Copy'} withArrow position="left">
          <ActionIcon
            variant="subtle"
            color={copied ? 'green' : 'gray'}
            onClick={copy}
            aria-label={copied ? `${label} copied` : `Copy ${label.toLowerCase()}`}
          >
            {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
          </ActionIcon>
        </Tooltip>
      )}
    </CopyButton>
  );
}
