import type { MantineColor } from '@mantine/core';
import type { Device, DeviceEnrollmentState, DeviceProfileStatus } from '../../api';

export interface StatusInfo {
  label: string;
  color: MantineColor;
  hint: string;
}

export const ENROLLMENT_STATES: readonly DeviceEnrollmentState[] = [
  'awaiting_enrollment',
  'enrolled',
  'unenrolled',
  'removed',
  'released',
];

export const ENROLLMENT_STATE: Record<DeviceEnrollmentState, StatusInfo> = {
  awaiting_enrollment: {
    label: 'Awaiting enrollment',
    color: 'blue',
    hint: 'Assigned to this MDM server in Apple Business Manager. It enrolls when it is next set up (new, or after an erase).',
  },
  enrolled: {
    label: 'Enrolled',
    color: 'green',
    hint: 'The device enrolled through Orchard and checked in.',
  },
  unenrolled: {
    label: 'Unenrolled',
    color: 'orange',
    hint: 'The device was enrolled, then its MDM profile was removed or the device was erased. It enrolls again when it is next set up.',
  },
  removed: {
    label: 'Removed from ABM',
    color: 'red',
    hint: 'Apple Business Manager no longer assigns this device to this MDM server: it was unassigned, moved to another MDM server, or released from the organization.',
  },
  released: {
    label: 'Released',
    color: 'gray',
    hint: 'Its ABM token was deleted from Orchard, so Orchard no longer manages its enrollment.',
  },
};

export function enrollmentStateInfo(state: string): StatusInfo {
  return (
    ENROLLMENT_STATE[state as DeviceEnrollmentState] ?? { label: state.replace(/_/g, ' '), color: 'gray', hint: '' }
  );
}

export function isEnrollmentState(value: string | null): value is DeviceEnrollmentState {
  return value !== null && (ENROLLMENT_STATES as readonly string[]).includes(value);
}

export const PROFILE_STATUSES: readonly DeviceProfileStatus[] = ['empty', 'assigned', 'pushed', 'removed'];

/** Apple's profile_status of the device. */
export const PROFILE_STATUS: Record<DeviceProfileStatus, StatusInfo> = {
  empty: {
    label: 'No profile',
    color: 'gray',
    hint: 'Apple has no enrollment profile for this device yet.',
  },
  assigned: {
    label: 'Assigned',
    color: 'blue',
    hint: 'The enrollment profile is assigned with Apple; the device receives it when it is next set up.',
  },
  pushed: {
    label: 'Pushed',
    color: 'green',
    hint: 'The device has downloaded its enrollment profile from Apple.',
  },
  removed: {
    label: 'Removed',
    color: 'orange',
    hint: 'The enrollment profile was removed from this device in Apple Business Manager.',
  },
};

export function profileStatusInfo(status: string): StatusInfo {
  return PROFILE_STATUS[status as DeviceProfileStatus] ?? { label: status.replace(/_/g, ' '), color: 'gray', hint: '' };
}

export function isProfileStatus(value: string | null): value is DeviceProfileStatus {
  return value !== null && (PROFILE_STATUSES as readonly string[]).includes(value);
}

/** Apple's error text as the end of a sentence. */
function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** What Orchard's own assignment of the profile says, when it is worth saying. */
export function assignmentNote(device: Device): { text: string; tone: 'pending' | 'problem' } | null {
  const error = device.profileAssignError?.trim();
  switch (device.profileAssignStatus) {
    case 'pending':
      return { text: 'Orchard is assigning this token’s enrollment profile to the device.', tone: 'pending' };
    case 'failed':
      return {
        text: `Orchard could not assign the enrollment profile${error ? `: ${sentence(error)}` : '.'} It tries again at the next sync.`,
        tone: 'problem',
      };
    case 'not_accessible':
      return {
        text: `Apple says this device is not accessible to this MDM server: it was unassigned or moved to another MDM server in Apple Business Manager.${error ? ` (${error})` : ''}`,
        tone: 'problem',
      };
    default:
      return null;
  }
}

export const ASSIGN_STATUS_LABEL: Record<string, string> = {
  pending: 'Pending',
  assigned: 'Done',
  failed: 'Failed',
  not_accessible: 'Not accessible',
};

/** "iPhone 15" with Apple's longer description beneath when it says more. */
export function deviceModelLines(device: Device): { primary: string; secondary: string | null } {
  const model = device.model?.trim() || null;
  const description = device.description?.trim() || null;
  const primary = model ?? description ?? '—';
  const secondary = model && description && description.toUpperCase() !== model.toUpperCase() ? description : null;
  return { primary, secondary };
}
