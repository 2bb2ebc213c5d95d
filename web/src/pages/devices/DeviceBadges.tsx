import { Badge, Group, Text, Tooltip } from '@mantine/core';
import { IconAlertTriangle, IconClockHour4 } from '@tabler/icons-react';
import type { Device } from '../../api';
import { assignmentNote, enrollmentStateInfo, profileStatusInfo } from './deviceStatus';

const TOOLTIP_EVENTS = { hover: true, focus: true, touch: true };

function StatusBadge({ label, color }: { label: string; color: string }) {
  return (
    <Badge
      color={color}
      variant="light"
      radius="sm"
      tt="none"
      style={{ overflow: 'visible' }}
      styles={{ label: { overflow: 'visible' } }}
    >
      {label}
    </Badge>
  );
}

/** The device's enrollment state; the tooltip says what it means. */
export function EnrollmentStateBadge({ device }: { device: Device }) {
  const info = enrollmentStateInfo(device.enrollmentState);
  return (
    <Tooltip label={info.hint} multiline w={300} withArrow events={TOOLTIP_EVENTS} disabled={!info.hint}>
      <span
        tabIndex={info.hint ? 0 : undefined}
        style={{ cursor: info.hint ? 'help' : undefined, display: 'inline-flex' }}
      >
        <StatusBadge label={info.label} color={info.color} />
      </span>
    </Tooltip>
  );
}

/**
 * Apple's profile status as a badge, and beside it a mark when Orchard's own assignment is pending
 * or failed; the tooltip explains both (with the error Apple gave).
 */
export function ProfileStatusBadge({ device }: { device: Device }) {
  const info = device.profileStatus ? profileStatusInfo(device.profileStatus) : null;
  const note = assignmentNote(device);
  const tooltip = [info?.hint, note?.text].filter(Boolean).join(' ');

  const content = (
    <Group
      gap={6}
      wrap="nowrap"
      tabIndex={tooltip ? 0 : undefined}
      style={{ cursor: tooltip ? 'help' : undefined, display: 'inline-flex' }}
    >
      {info ? (
        <StatusBadge label={info.label} color={info.color} />
      ) : (
        <Text size="sm" c="dimmed">
          —
        </Text>
      )}
      {note?.tone === 'pending' ? (
        <IconClockHour4
          size={16}
          color="var(--mantine-color-blue-6)"
          role="img"
          aria-label="Assignment pending"
          style={{ flexShrink: 0 }}
        />
      ) : null}
      {note?.tone === 'problem' ? (
        <IconAlertTriangle
          size={16}
          color="var(--mantine-color-red-7)"
          role="img"
          aria-label={device.profileAssignStatus === 'failed' ? 'Assignment failed' : 'Not accessible'}
          style={{ flexShrink: 0 }}
        />
      ) : null}
    </Group>
  );
  if (!tooltip) return content;
  return (
    <Tooltip label={tooltip} multiline w={320} withArrow events={TOOLTIP_EVENTS}>
      {content}
    </Tooltip>
  );
}
