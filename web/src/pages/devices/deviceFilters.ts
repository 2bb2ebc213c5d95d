import type { DeviceFilters } from '../../api';
import { isEnrollmentState, isProfileStatus } from './deviceStatus';

/**
 * The Devices view keeps its filters in the URL, so a filtered list can be reloaded or shared:
 *
 *   ?customerId=&siteId=&abmTokenId=&enrollmentState=&profileStatus=&q=[&device=<serial>]
 *
 * customerId and siteId are the same parameters the Apple Business Manager tab filters by, so
 * switching tabs keeps the customer and site. `device` is the serial number open in the drawer.
 */
export type DeviceParam = 'customerId' | 'siteId' | 'abmTokenId' | 'enrollmentState' | 'profileStatus' | 'q';

export const DEVICE_PARAMS: readonly DeviceParam[] = [
  'customerId',
  'siteId',
  'abmTokenId',
  'enrollmentState',
  'profileStatus',
  'q',
];

export const DEVICE_DRAWER_PARAM = 'device';

/** The filters in `params`; a fixed customer (its own detail page) overrides the URL's. */
export function readDeviceFilters(params: URLSearchParams, fixedCustomerId?: string): DeviceFilters {
  const get = (name: string) => params.get(name) || undefined;
  const customerId = fixedCustomerId ?? get('customerId');
  const enrollmentState = params.get('enrollmentState');
  const profileStatus = params.get('profileStatus');
  return {
    customerId,
    // A site only means something within its customer.
    siteId: customerId ? get('siteId') : undefined,
    abmTokenId: get('abmTokenId'),
    enrollmentState: isEnrollmentState(enrollmentState) ? enrollmentState : undefined,
    profileStatus: isProfileStatus(profileStatus) ? profileStatus : undefined,
    q: params.get('q')?.trim() || undefined,
  };
}

/** `params` with the given filters changed (undefined removes one). */
export function writeDeviceFilters(
  params: URLSearchParams,
  changes: Partial<Record<DeviceParam, string | undefined>>,
): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const [name, value] of Object.entries(changes)) {
    if (value) next.set(name, value);
    else next.delete(name);
  }
  return next;
}
