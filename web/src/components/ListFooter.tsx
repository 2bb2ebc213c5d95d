import { Button, Group, Text } from '@mantine/core';

export interface ListFooterProps {
  shown: number;
  noun: string;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
}

/** "Showing 50 customers" and, while the server has more, a "Load more" button. */
export function ListFooter({ shown, noun, hasMore, loadingMore, onLoadMore }: ListFooterProps) {
  return (
    <Group justify="space-between" px="md" py="sm">
      <Text size="sm" c="dimmed">
        {hasMore ? `Showing the first ${shown} ${noun}` : `${shown} ${noun}`}
      </Text>
      {hasMore ? (
        <Button variant="default" size="xs" onClick={onLoadMore} loading={loadingMore}>
          Load more
        </Button>
      ) : null}
    </Group>
  );
}
