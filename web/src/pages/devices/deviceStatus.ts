import type { MantineColor } from '@mantine/core';
import type { Device, DeviceEnrollmentState, DeviceProfileStatus } from '../../api';

export interface StatusInfo {
  label: string;
  color: MantineColor;
  hint: string;
}

export const ENROLLMENT_STATES: readonly DeviceEnrollmentState[] = [
  'awaiting_enrollment',
  'enrolling',
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
  enrolling: {
    label: 'Enrolling',
    color: 'cyan',
    hint: 'The device fetched its enrollment profile in Setup Assistant and is getting its identity and checking in. It is enrolled within a minute unless a step is refused (see its enrollment timeline).',
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

/** Short labels for compact counts ("18 enrolled · 2 awaiting"). */
export const ENROLLMENT_STATE_SHORT: Record<DeviceEnrollmentState, string> = {
  awaiting_enrollment: 'awaiting',
  enrolling: 'enrolling',
  enrolled: 'enrolled',
  unenrolled: 'unenrolled',
  removed: 'removed',
  released: 'released',
};

/** "iPhone 15" with Apple's longer description beneath when it says more. */
export function deviceModelLines(device: Device): { primary: string; secondary: string | null } {
  const model = device.model?.trim() || null;
  const description = device.description?.trim() || null;
  const primary = model ?? description ?? '—';
  const secondary = model && description && description.toUpperCase() !== model.toUpperCase() ? description : null;
  return { primary, secondary };
}

/** The OS a hardware identifier ("iPhone15,2", "iPad13,18", "Mac15,6") runs. */
function platformOfProduct(productName: string | null): string | null {
  if (!productName) return null;
  if (/^(iPhone|iPod)/i.test(productName)) return 'iOS';
  if (/^iPad/i.test(productName)) return 'iPadOS';
  if (/^(Mac|iMac)/i.test(productName)) return 'macOS';
  if (/^AppleTV/i.test(productName)) return 'tvOS';
  if (/^Watch/i.test(productName)) return 'watchOS';
  if (/^RealityDevice/i.test(productName)) return 'visionOS';
  return null;
}

/** Apple Business Manager's OS family, in Apple's current spelling ("OSX" is macOS). */
function platformOfRecord(device: Device): string | null {
  const family = device.deviceFamily?.toLowerCase();
  if (family === 'ipad') return 'iPadOS';
  if (family === 'mac') return 'macOS';
  const os = device.os?.trim();
  if (!os) return null;
  return /^os ?x$/i.test(os) ? 'macOS' : os;
}

/**
 * "iOS 18.1": the OS and version the device reported, the OS named for its hardware. Before it
 * reported one, Apple's OS family alone ("iOS"), or null.
 */
export function osLabel(device: Device): string | null {
  const platform = platformOfProduct(device.productName) ?? platformOfRecord(device);
  const version = device.osVersion?.trim();
  if (version) return platform ? `${platform} ${version}` : version;
  return platform;
}

/** "iOS 18.1 (22B83)" */
export function osBuildLabel(device: Device): string | null {
  const os = osLabel(device);
  const build = device.buildVersion?.trim();
  if (!build) return os;
  return os ? `${os} (${build})` : build;
}

/**
 * How a device is named in lists: the name it reported ("Anna’s iPhone") with its model and OS
 * beneath; before it reported one, Apple's model with its description and OS family.
 */
export function deviceTitleLines(device: Device): { title: string; reported: boolean; details: string | null } {
  const name = device.deviceName?.trim() || null;
  const { primary, secondary } = deviceModelLines(device);
  const model = primary === '—' ? device.modelName?.trim() || null : primary;
  const os = osLabel(device);
  if (name) return { title: name, reported: true, details: [model, os].filter(Boolean).join(' · ') || null };
  return {
    title: model ?? '—',
    reported: false,
    details: [secondary, os].filter(Boolean).join(' · ') || null,
  };
}

/** The time that matters for the device's state, as a short phrase's start and its moment. */
export function enrollmentMoment(device: Device): { label: string; at: string } | null {
  switch (device.enrollmentState) {
    case 'awaiting_enrollment':
      return device.assignedAt ? { label: 'Assigned', at: device.assignedAt } : null;
    case 'enrolling':
      return { label: 'Last seen', at: device.lastSeenAt ?? device.updatedAt };
    case 'enrolled':
      return device.enrolledAt ? { label: 'Enrolled', at: device.enrolledAt } : null;
    case 'unenrolled':
      return device.lastSeenAt ? { label: 'Last seen', at: device.lastSeenAt } : null;
    case 'removed':
      return device.removedAt ? { label: 'Removed', at: device.removedAt } : null;
    default:
      return null;
  }
}
