import { Box, Button, EmptyState, Tooltip } from '@mantine/core';
import { IconKey, IconPlus } from '@tabler/icons-react';

export const TOKEN_UPLOAD_UNAVAILABLE = 'Token upload is not available in this version of Orchard yet.';

/** No ABM tokens exist yet, and this version cannot add one: say so plainly. */
export function AbmTokensEmptyState() {
  return (
    <EmptyState
      py={56}
      px="md"
      icon={<IconKey size={28} stroke={1.5} />}
      variant="light"
      title="No ABM tokens connected yet"
      description="An ABM token links a Customer and Site in Orchard to an MDM server in that customer's Apple Business Manager account. Devices the customer assigns to that MDM server enroll automatically and appear under that Customer and Site."
    >
      <EmptyState.Actions>
        <Tooltip label={TOKEN_UPLOAD_UNAVAILABLE} withArrow multiline w={260}>
          {/* Disabled buttons are skipped by focus and by some browsers' mouse events: the wrapper carries the tooltip. */}
          <Box component="span" tabIndex={0} display="inline-block" style={{ borderRadius: 'var(--mantine-radius-md)' }}>
            <Button leftSection={<IconPlus size={16} />} disabled>
              Add ABM token
            </Button>
          </Box>
        </Tooltip>
      </EmptyState.Actions>
    </EmptyState>
  );
}
