import { Button, EmptyState } from '@mantine/core';
import { IconKey, IconPlus } from '@tabler/icons-react';

/**
 * No ABM tokens yet. The button is named "Add your first ABM token" so that it and the page
 * header's "Add ABM token" stay distinguishable (to screen readers and to tests).
 */
export function AbmTokensEmptyState({ onAdd }: { onAdd?: () => void }) {
  return (
    <EmptyState
      py={56}
      px="md"
      icon={<IconKey size={28} stroke={1.5} />}
      variant="light"
      title="No ABM tokens connected yet"
      description="An ABM token links a Customer and Site in Orchard to an MDM server in that customer's Apple Business Manager account. Devices the customer assigns to that MDM server enroll automatically and appear under that Customer and Site."
    >
      {onAdd ? (
        <EmptyState.Actions>
          <Button leftSection={<IconPlus size={16} />} onClick={onAdd}>
            Add your first ABM token
          </Button>
        </EmptyState.Actions>
      ) : null}
    </EmptyState>
  );
}
