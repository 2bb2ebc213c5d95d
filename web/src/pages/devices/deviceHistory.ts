import type { DeviceCommandStatus, EnrollmentEvent, EnrollmentEventKind } from '../../api';
import type { StatusInfo } from './deviceStatus';

/** A step of the enrollment timeline, as people read it. */
export interface EventKindInfo {
  label: string;
  /** What the step means, under its label when the server gave no detail of its own. */
  meaning: string;
}

export const ENROLLMENT_EVENT_KIND: Record<EnrollmentEventKind, EventKindInfo> = {
  profile_served: {
    label: 'Enrollment profile served',
    meaning: 'The device requested its enrollment profile in Setup Assistant, and Orchard served it.',
  },
  profile_refused: {
    label: 'Enrollment profile refused',
    meaning: 'The device requested its enrollment profile, and Orchard refused it.',
  },
  software_update_required: {
    label: 'Asked to update first',
    meaning:
      'The device runs an older OS than the profile’s minimum version: Setup Assistant installs the update, then the device asks again.',
  },
  identity_issued: {
    label: 'Identity certificate issued',
    meaning: 'Orchard’s device CA issued the device its identity over SCEP.',
  },
  identity_refused: {
    label: 'Identity certificate refused',
    meaning: 'The device asked for its identity over SCEP, and Orchard refused it.',
  },
  authenticated: {
    label: 'Authenticated',
    meaning: 'The device checked in with its new identity.',
  },
  enrolled: {
    label: 'Enrolled',
    meaning: 'The device sent its push token: Orchard manages it from now on.',
  },
  released: {
    label: 'Released from Setup Assistant',
    meaning: 'The device acknowledged DeviceConfigured and continued Setup Assistant.',
  },
  checked_out: {
    label: 'Checked out',
    meaning: 'The device’s MDM profile was removed (by the user, an erase, or unenrollment).',
  },
  checkin_refused: {
    label: 'Check-in refused',
    meaning: 'The device sent a check-in message, and Orchard refused it.',
  },
};

export function eventKindInfo(event: EnrollmentEvent): EventKindInfo {
  const known = ENROLLMENT_EVENT_KIND[event.kind as EnrollmentEventKind];
  if (known) return known;
  const label = event.kind.replace(/_/g, ' ');
  return { label: label.charAt(0).toUpperCase() + label.slice(1), meaning: '' };
}

export function isRefusal(event: EnrollmentEvent): boolean {
  return event.outcome === 'refused';
}

export const COMMAND_STATUS: Record<DeviceCommandStatus, StatusInfo> = {
  queued: {
    label: 'Queued',
    color: 'gray',
    hint: 'Waiting for the device: it receives the command the next time it checks in.',
  },
  sent: {
    label: 'Sent',
    color: 'blue',
    hint: 'The device received the command and has not answered yet.',
  },
  acknowledged: {
    label: 'Acknowledged',
    color: 'green',
    hint: 'The device carried out the command.',
  },
  error: {
    label: 'Error',
    color: 'red',
    hint: 'The device answered that the command failed; its error chain says why.',
  },
  not_now: {
    label: 'Not now',
    color: 'orange',
    hint: 'The device could not carry out the command right now (locked or busy). Orchard sends it again when the device next checks in.',
  },
  canceled: {
    label: 'Canceled',
    color: 'gray',
    hint: 'The command was withdrawn before the device carried it out.',
  },
};

export function commandStatusInfo(status: string): StatusInfo {
  return (
    COMMAND_STATUS[status as DeviceCommandStatus] ?? {
      label: status.replace(/_/g, ' '),
      color: 'gray',
      hint: '',
    }
  );
}

/** What Apple's request types do, for the commands Orchard sends during enrollment and after. */
export const REQUEST_TYPE_MEANING: Record<string, string> = {
  DeviceInformation: 'Asks the device for its name, OS, model and identifiers',
  DeviceConfigured: 'Releases the device from Setup Assistant',
  InstalledApplicationList: 'Asks for the installed apps',
  ProfileList: 'Asks for the installed profiles',
  SecurityInfo: 'Asks for the security settings',
  CertificateList: 'Asks for the installed certificates',
  InstallProfile: 'Installs a configuration profile',
  RemoveProfile: 'Removes a configuration profile',
  RestartDevice: 'Restarts the device',
  ShutDownDevice: 'Shuts the device down',
  DeviceLock: 'Locks the device',
  EraseDevice: 'Erases the device',
  ScheduleOSUpdate: 'Schedules a software update',
};
