import { Button, EmptyState, Paper } from '@mantine/core';
import { IconMapSearch } from '@tabler/icons-react';
import { Link } from 'react-router-dom';

export function NotFoundPage() {
  return (
    <Paper withBorder radius="md" maw={1100}>
      <EmptyState
        py={56}
        icon={<IconMapSearch size={28} stroke={1.5} />}
        withIndicatorBackground
        title="Page not found"
        description="There is nothing at this address in Orchard."
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
