import { Button, EmptyState, Paper } from '@mantine/core';
import { IconLock } from '@tabler/icons-react';
import { Link } from 'react-router-dom';

/** What a technician or read-only user sees at the address of an admins-only settings page. */
export function AdminsOnly({ title, description }: { title: string; description: string }) {
  return (
    <Paper withBorder radius="md" maw={1100}>
      <EmptyState
        py={56}
        icon={<IconLock size={28} stroke={1.5} />}
        withIndicatorBackground
        title={title}
        description={description}
      >
        <EmptyState.Actions>
          <Button component={Link} to="/customers" variant="default">
            Go to customers
          </Button>
        </EmptyState.Actions>
      </EmptyState>
    </Paper>
  );
}
