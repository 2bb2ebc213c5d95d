import { Group, Text, ThemeIcon } from '@mantine/core';
import { IconLeaf } from '@tabler/icons-react';

export function Logo({ size = 'md' }: { size?: 'md' | 'lg' }) {
  const large = size === 'lg';
  return (
    <Group gap={8} wrap="nowrap">
      <ThemeIcon size={large ? 40 : 30} radius="md" color="green" variant="filled" aria-hidden>
        <IconLeaf size={large ? 24 : 18} stroke={2} />
      </ThemeIcon>
      <Text fw={700} fz={large ? 26 : 19} lh={1} style={{ letterSpacing: '-0.01em' }}>
        Orchard
      </Text>
    </Group>
  );
}
