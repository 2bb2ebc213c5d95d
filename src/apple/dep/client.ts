/**
 * DepClient: one server token's view of Apple's Device Assignment service. A thin facade over
 * the endpoint functions, sharing one authenticated transport (so one session, rotated and
 * renewed for all calls). Make one per token and reuse it.
 */
import { getAccount, type Account } from './account.js';
import { activationLock, type ActivationLockRequest, type ActivationLockResult } from './activation-lock.js';
import type { DevicePager } from './cursor.js';
import {
  disownDevices,
  fetchDevicesPage,
  getDeviceDetails,
  syncDevicesPage,
  type DeviceDetails,
  type DevicePage,
  type DeviceResponseStatus,
  type FetchDevicesRequest,
  type SyncDevicesRequest,
} from './devices.js';
import { MAX_DEVICES_PER_CALL } from './limits.js';
import {
  assignProfile,
  defineProfile,
  getProfile,
  removeProfile,
  type AssignProfileResult,
  type AssignStatus,
  type DefineProfileResult,
  type Profile,
  type ProfileDefinition,
} from './profiles.js';
import { DepTransport, type CallOptions, type DepRequester, type DepTransportOptions } from './transport.js';
import { batches } from './wire.js';

export type DepClientOptions = DepTransportOptions;

export class DepClient implements DevicePager {
  readonly #api: DepRequester;

  constructor(options: DepClientOptions) {
    this.#api = new DepTransport(options);
  }

  account(options?: CallOptions): Promise<Account> {
    return getAccount(this.#api, options);
  }

  fetchDevices(request?: FetchDevicesRequest, options?: CallOptions): Promise<DevicePage> {
    return fetchDevicesPage(this.#api, request, options);
  }

  syncDevices(request: SyncDevicesRequest, options?: CallOptions): Promise<DevicePage> {
    return syncDevicesPage(this.#api, request, options);
  }

  /** Any number of serials, asked in batches of 1000. */
  async deviceDetails(serials: readonly string[], options?: CallOptions): Promise<Record<string, DeviceDetails>> {
    const out: Record<string, DeviceDetails> = {};
    for (const batch of batches(serials, MAX_DEVICES_PER_CALL))
      Object.assign(out, await getDeviceDetails(this.#api, batch, options));
    return out;
  }

  /** Irreversible; at most 1000 serials, and deliberately not batched: the caller decides. */
  disownDevices(serials: readonly string[], options?: CallOptions): Promise<Record<string, DeviceResponseStatus>> {
    return disownDevices(this.#api, serials, options);
  }

  defineProfile(profile: ProfileDefinition, options?: CallOptions): Promise<DefineProfileResult> {
    return defineProfile(this.#api, profile, options);
  }

  getProfile(profileUuid: string, options?: CallOptions): Promise<Profile> {
    return getProfile(this.#api, profileUuid, options);
  }

  /**
   * Any number of serials, in batches of 1000 (Apple's limit). Assigning is idempotent, so
   * after a failure part-way the whole call can simply be repeated. `retryAfterSeconds` is
   * the longest any batch asked for.
   */
  async assignProfile(
    profileUuid: string,
    serials: readonly string[],
    options?: CallOptions,
  ): Promise<AssignProfileResult> {
    const devices: Record<string, AssignStatus> = {};
    let retryAfterSeconds: number | null = null;
    for (const batch of batches(serials, MAX_DEVICES_PER_CALL)) {
      const result = await assignProfile(this.#api, profileUuid, batch, options);
      Object.assign(devices, result.devices);
      if (result.retryAfterSeconds !== null)
        retryAfterSeconds = Math.max(retryAfterSeconds ?? 0, result.retryAfterSeconds);
    }
    return { profileUuid, devices, retryAfterSeconds };
  }

  /** Any number of serials, in batches of 1000. */
  async removeProfile(
    serials: readonly string[],
    options: CallOptions & { readonly profileUuid?: string } = {},
  ): Promise<Record<string, AssignStatus>> {
    const devices: Record<string, AssignStatus> = {};
    for (const batch of batches(serials, MAX_DEVICES_PER_CALL))
      Object.assign(devices, await removeProfile(this.#api, batch, options));
    return devices;
  }

  activationLock(request: ActivationLockRequest, options?: CallOptions): Promise<ActivationLockResult> {
    return activationLock(this.#api, request, options);
  }
}
