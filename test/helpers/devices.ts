import type { Device } from '../../src/apple/dep/index.js';
import type { PageTarget } from '../../src/store/repositories/device-writes.js';
import type { Repositories } from '../../src/store/repositories/index.js';

/** A device as Apple lists it in a full fetch: a plain new iPhone assigned to the MDM server. */
export function appleDevice(serialNumber: string, extra: Partial<Device> = {}): Device {
  return {
    serialNumber,
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
    deviceAssignedDate: '2026-05-01T00:00:00.000Z',
    deviceAssignedBy: 'admin@acme.example',
    opType: null,
    opDate: null,
    mdmMigrationDeadline: null,
    ...extra,
  };
}

export type DevicePlacement = Pick<PageTarget, 'tokenId' | 'customerId' | 'siteId'> &
  Partial<Pick<PageTarget, 'profileUuid' | 'fetchRun'>>;

/** Stores devices as one sync page of that token would. */
export async function storeDevices(
  repos: Pick<Repositories, 'deviceWrites'>,
  placement: DevicePlacement,
  devices: readonly Device[],
  now: string,
): Promise<void> {
  await repos.deviceWrites.applyPage({ profileUuid: null, fetchRun: 'run-1', now, ...placement }, devices);
}

/** A customer, a site and an ABM token there (awaiting its file), straight into storage. */
export async function placeToken(
  repos: Pick<Repositories, 'customers' | 'sites' | 'secrets' | 'abmTokens'>,
  place: { tokenId: string; customerId: string; siteId: string; customerName?: string; siteName?: string },
  now: string,
): Promise<void> {
  const { tokenId, customerId, siteId } = place;
  await repos.customers.insert({ id: customerId, name: place.customerName ?? customerId, nameKey: customerId, now });
  await repos.sites.insert({ id: siteId, customerId, name: place.siteName ?? siteId, nameKey: siteId, now });
  await repos.secrets.insert({ id: `key-${tokenId}`, purpose: 'test', sealed: 'x', keyId: 'k', now });
  await repos.abmTokens.insert(
    { id: tokenId, customerId, siteId, depBaseUrl: 'http://apple.test', now },
    { id: `kp-${tokenId}`, certificatePem: 'pem', privateKeySecretId: `key-${tokenId}`, now },
  );
}
