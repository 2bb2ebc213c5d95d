import type { DeviceUpsert } from '../../src/store/repositories/devices.js';

/** Where a device row belongs and when it was assigned; everything else is a plain new iPhone. */
export type DevicePlacement = Pick<DeviceUpsert, 'serialNumber' | 'abmTokenId' | 'customerId' | 'siteId'> &
  Partial<DeviceUpsert> &
  Pick<DeviceUpsert, 'deviceAssignedDate'>;

/** A device as a sync page writes it: just fetched from Apple, its profile still to assign. */
export function deviceUpsert(fields: DevicePlacement): DeviceUpsert {
  return {
    model: 'iPhone 15',
    description: 'IPHONE 15 BLACK 128GB',
    color: 'BLACK',
    assetTag: null,
    os: 'iOS',
    deviceFamily: 'iPhone',
    profileStatus: 'empty',
    profileUuid: null,
    profileAssignTime: null,
    profilePushTime: null,
    deviceAssignedBy: 'admin@acme.example',
    opDate: null,
    opType: null,
    fetchRun: 'run-1',
    profileAssignStatus: 'pending',
    profileAssignError: null,
    profileRetryAt: null,
    ...fields,
  };
}
