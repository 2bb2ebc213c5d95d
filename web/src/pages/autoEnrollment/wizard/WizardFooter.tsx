import { Button, Group } from '@mantine/core';
import { IconArrowLeft } from '@tabler/icons-react';
import type { ReactNode } from 'react';

export interface WizardFooterProps {
  onBack?: () => void;
  backDisabled?: boolean;
  /** Shown before the main button (a secondary link). */
  aside?: ReactNode;
  /** The step's main button. */
  children: ReactNode;
}

export function WizardFooter({ onBack, backDisabled, aside, children }: WizardFooterProps) {
  return (
    <Group justify="space-between" gap="sm" mt="md">
      {onBack ? (
        <Button variant="default" leftSection={<IconArrowLeft size={16} />} onClick={onBack} disabled={backDisabled}>
          Back
        </Button>
      ) : (
        <span />
      )}
      <Group gap="md">
        {aside}
        {children}
      </Group>
    </Group>
  );
}
