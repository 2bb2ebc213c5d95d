import { ColorSwatch, Group, Progress, Stack, Text, Tooltip, type TextProps } from '@mantine/core';
import type { DeviceEnrollmentState } from '../../api';
import { ENROLLMENT_STATE, ENROLLMENT_STATES, ENROLLMENT_STATE_SHORT } from './deviceStatus';

export type EnrollmentCountsByState = Partial<Record<DeviceEnrollmentState, number>>;

/** The order counts are read in: what is done first, then what is still to come, then what left. */
const READING_ORDER: readonly DeviceEnrollmentState[] = [
  'enrolled',
  'enrolling',
  'awaiting_enrollment',
  'unenrolled',
  'removed',
  'released',
];

/** "18 enrolled · 2 awaiting": the states that have devices, most settled first. */
export function enrollmentCountsText(counts: EnrollmentCountsByState): string {
  const parts = READING_ORDER.filter((state) => (counts[state] ?? 0) > 0).map(
    (state) => `${counts[state] ?? 0} ${ENROLLMENT_STATE_SHORT[state]}`,
  );
  return parts.length > 0 ? parts.join(' · ') : 'No devices';
}

const TOOLTIP_EVENTS = { hover: true, focus: true, touch: true };

/** Every state in `states` with its count (zeros dimmed), each with its badge's color. */
function Breakdown({ counts, states }: { counts: EnrollmentCountsByState; states: readonly DeviceEnrollmentState[] }) {
  return (
    <Stack gap={4} miw={180}>
      {states.map((state) => {
        const count = counts[state] ?? 0;
        return (
          <Group key={state} justify="space-between" gap="md" wrap="nowrap">
            <Group gap={6} wrap="nowrap">
              <ColorSwatch
                color={`var(--mantine-color-${ENROLLMENT_STATE[state].color}-5)`}
                size={8}
                withShadow={false}
              />
              <Text size="xs" c={count > 0 ? undefined : 'gray.5'}>
                {ENROLLMENT_STATE[state].label}
              </Text>
            </Group>
            <Text size="xs" fw={600} c={count > 0 ? undefined : 'gray.5'}>
              {count}
            </Text>
          </Group>
        );
      })}
    </Stack>
  );
}

export interface EnrollmentCountsProps extends TextProps {
  counts: EnrollmentCountsByState;
  /** The states the tooltip lists; a token's current devices are never removed or released. */
  states?: readonly DeviceEnrollmentState[];
  /** A thin bar beneath, one colored section per state. */
  withBar?: boolean;
}

/**
 * Devices per enrollment state in one compact line ("18 enrolled · 2 awaiting"); the tooltip
 * breaks every state down.
 */
export function EnrollmentCounts({
  counts,
  states = ENROLLMENT_STATES,
  withBar = false,
  ...props
}: EnrollmentCountsProps) {
  const text = enrollmentCountsText(counts);
  const total = states.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
  return (
    <Tooltip label={<Breakdown counts={counts} states={states} />} position="bottom" withArrow events={TOOLTIP_EVENTS}>
      <Stack gap={4} tabIndex={0} style={{ cursor: 'help', minWidth: 0 }}>
        <Text truncate="end" {...props}>
          {text}
        </Text>
        {withBar && total > 0 ? (
          <Progress.Root size={4} radius="xl" aria-hidden>
            {READING_ORDER.filter((state) => states.includes(state) && (counts[state] ?? 0) > 0).map((state) => (
              <Progress.Section
                key={state}
                value={((counts[state] ?? 0) / total) * 100}
                color={ENROLLMENT_STATE[state].color}
              />
            ))}
          </Progress.Root>
        ) : null}
      </Stack>
    </Tooltip>
  );
}
