import { Alert, Group, Paper, Skeleton, Stack, Text, ThemeIcon, Timeline } from '@mantine/core';
import { IconCheck, IconHistory, IconX } from '@tabler/icons-react';
import type { EnrollmentEvent } from '../../api';
import { QueryErrorAlert } from '../../components/QueryErrorAlert';
import { RelativeTime } from '../../components/RelativeTime';
import { useNow } from '../../lib/useNow';
import { DEVICE_HISTORY_LIMIT, useEnrollmentEvents } from '../../queries/devices';
import { eventKindInfo, isRefusal } from './deviceHistory';

export interface DeviceTimelineProps {
  serialNumber: string;
  /** Poll quickly: the device is enrolling right now. */
  busy: boolean;
}

/**
 * The device's enrollment, step by step in the order it happened: profile served, identity
 * issued, authenticated, enrolled, released from Setup Assistant, checked out. Each refusal is
 * shown in red with the reason Orchard gave the device.
 */
export function DeviceTimeline({ serialNumber, busy }: DeviceTimelineProps) {
  const query = useEnrollmentEvents(serialNumber, { busy });
  const now = useNow();

  if (query.isPending) {
    return (
      <Stack gap="md" aria-busy="true" aria-label="Loading the enrollment timeline">
        {Array.from({ length: 4 }, (_, index) => (
          <Skeleton key={index} height={36} radius="sm" />
        ))}
      </Stack>
    );
  }
  if (query.isError) {
    return (
      <QueryErrorAlert
        title="Could not load the enrollment timeline"
        error={query.error}
        onRetry={() => void query.refetch()}
        retrying={query.isRefetching}
      />
    );
  }
  const newestFirst = query.data;
  if (newestFirst.length === 0) {
    return (
      <Alert color="gray" variant="light" icon={<IconHistory size={18} />} title="Nothing yet">
        The device has not contacted Orchard. Its enrollment starts when it is set up (new, or after an erase) and
        requests its enrollment profile.
      </Alert>
    );
  }
  const events = [...newestFirst].reverse();
  return (
    <Stack gap="md">
      {newestFirst.length >= DEVICE_HISTORY_LIMIT ? (
        <Text size="xs" c="dimmed">
          The latest {DEVICE_HISTORY_LIMIT} events; older ones are not shown.
        </Text>
      ) : null}
      <Timeline bulletSize={24} lineWidth={2} aria-label="Enrollment timeline">
        {events.map((event) => (
          <Timeline.Item
            key={event.id}
            color={isRefusal(event) ? 'red' : 'green'}
            bullet={
              <ThemeIcon size={24} radius="xl" color={isRefusal(event) ? 'red' : 'green'} variant="filled">
                {isRefusal(event) ? <IconX size={14} stroke={2.5} /> : <IconCheck size={14} stroke={2.5} />}
              </ThemeIcon>
            }
            title={<EventTitle event={event} now={now} />}
            lineVariant="solid"
            data-outcome={event.outcome}
          >
            <EventBody event={event} />
          </Timeline.Item>
        ))}
      </Timeline>
    </Stack>
  );
}

function EventTitle({ event, now }: { event: EnrollmentEvent; now: number }) {
  return (
    <Group justify="space-between" gap="xs" wrap="nowrap" align="baseline">
      <Text size="sm" fw={600} c={isRefusal(event) ? 'red.8' : undefined}>
        {eventKindInfo(event).label}
      </Text>
      <RelativeTime value={event.createdAt} now={now} size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }} />
    </Group>
  );
}

function EventBody({ event }: { event: EnrollmentEvent }) {
  const info = eventKindInfo(event);
  if (isRefusal(event)) {
    return (
      <Paper bg="red.0" radius="sm" px="sm" py={6} mt={4}>
        <Text size="sm" c="red.9" style={{ overflowWrap: 'anywhere' }}>
          <Text span fw={600} inherit>
            Reason:
          </Text>{' '}
          {event.detail ?? 'Orchard recorded no reason.'}
        </Text>
      </Paper>
    );
  }
  return (
    <Stack gap={0} mt={2}>
      {info.meaning ? (
        <Text size="xs" c="dimmed">
          {info.meaning}
        </Text>
      ) : null}
      {event.detail ? (
        <Text size="xs" style={{ overflowWrap: 'anywhere' }}>
          {event.detail}
        </Text>
      ) : null}
    </Stack>
  );
}
