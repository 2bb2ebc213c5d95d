/** The portal API's error: answered as `{ "code": "…", "message": "…" }` with its status. */
import type { PushOutcome } from './devices.js';

export class PortalError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PortalError';
  }
}

export const bad = (code: string, message: string) => new PortalError(400, code, message);

export const deviceNotFound = (serial: string) =>
  new PortalError(404, 'DEVICE_NOT_FOUND', `There is no device ${serial}.`);

export const noProfileAssigned = (serial: string) =>
  new PortalError(409, 'NO_PROFILE_ASSIGNED', `${serial} has no enrollment profile assigned.`);

/** Why a device cannot fetch its profile, or nothing when it can (pushed now or before). */
export function pushRefusal(serial: string, outcome: PushOutcome): PortalError | undefined {
  switch (outcome) {
    case 'pushed':
    case 'already_pushed':
      return undefined;
    case 'not_found':
      return deviceNotFound(serial);
    case 'not_assigned_to_a_server':
      return new PortalError(409, 'DEVICE_NOT_ASSIGNED', `${serial} is not assigned to an MDM server.`);
    case 'no_profile':
      return noProfileAssigned(serial);
  }
}
