/**
 * Enrollment profile endpoints: define (`POST /profile`), read (`GET /profile`), assign
 * (`POST /profile/devices`; older clients used PUT) and remove (`DELETE /profile/devices`,
 * which takes a JSON body). A profile UUID exists only inside the MDM server (token) that
 * defined it.
 */
import { ValidationError } from '../../domain/errors.js';
import { checkSerials } from './limits.js';
import type { CallOptions, DepRequester } from './transport.js';
import { bool, expectObject, num, requiredStr, statusMap, str, strings, type WireObject } from './wire.js';

/** What Orchard sends to define a profile. Apple validates the lengths; see DepBadRequestError's hints. */
export interface ProfileDefinition {
  /** ≤ 125 characters. */
  readonly profileName: string;
  /** Where devices POST their MachineInfo at enrollment; ≤ 2000 characters. */
  readonly url?: string;
  readonly isSupervised?: boolean;
  readonly isMandatory?: boolean;
  /** false requires isSupervised. */
  readonly isMdmRemovable?: boolean;
  readonly awaitDeviceConfigured?: boolean;
  readonly autoAdvanceSetup?: boolean;
  readonly isMultiUser?: boolean;
  readonly allowPairing?: boolean;
  readonly supportPhoneNumber?: string;
  readonly supportEmailAddress?: string;
  readonly department?: string;
  readonly orgMagic?: string;
  readonly language?: string;
  readonly region?: string;
  /** Base64 DER certificates. */
  readonly anchorCerts?: readonly string[];
  readonly supervisingHostCerts?: readonly string[];
  /** Setup Assistant panes to skip: Accessibility, AppleID, Biometric, Diagnostics, … */
  readonly skipSetupItems?: readonly string[];
  readonly configurationWebUrl?: string;
  /** Serials to assign the profile to while defining it. */
  readonly devices?: readonly string[];
}

/** A profile as Apple returns it; fields Apple leaves out are absent. */
export type Profile = Partial<ProfileDefinition> & { readonly profileUuid?: string };

export function profileToWire(profile: Partial<ProfileDefinition>): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    profile_name: profile.profileName,
    url: profile.url,
    is_supervised: profile.isSupervised,
    is_mandatory: profile.isMandatory,
    is_mdm_removable: profile.isMdmRemovable,
    await_device_configured: profile.awaitDeviceConfigured,
    auto_advance_setup: profile.autoAdvanceSetup,
    is_multi_user: profile.isMultiUser,
    allow_pairing: profile.allowPairing,
    support_phone_number: profile.supportPhoneNumber,
    support_email_address: profile.supportEmailAddress,
    department: profile.department,
    org_magic: profile.orgMagic,
    language: profile.language,
    region: profile.region,
    anchor_certs: profile.anchorCerts,
    supervising_host_certs: profile.supervisingHostCerts,
    skip_setup_items: profile.skipSetupItems,
    configuration_web_url: profile.configurationWebUrl,
    devices: profile.devices,
  };
  // Leave unset fields out rather than sending null: Apple treats absent as "default".
  for (const key of Object.keys(wire)) if (wire[key] === undefined) delete wire[key];
  return wire;
}

export function profileFromWire(body: WireObject): Profile {
  // Each reader checks the wire type, so the assembled object matches Profile.
  const out: Record<string, unknown> = {};
  const text = (key: keyof Profile, wireKey: string): void => {
    const value = str(body, wireKey);
    if (value !== null) out[key] = value;
  };
  const flag = (key: keyof Profile, wireKey: string): void => {
    const value = bool(body, wireKey);
    if (value !== null) out[key] = value;
  };
  const list = (key: keyof Profile, wireKey: string): void => {
    const value = strings(body, wireKey);
    if (value !== null) out[key] = value;
  };
  text('profileUuid', 'profile_uuid');
  text('profileName', 'profile_name');
  text('url', 'url');
  flag('isSupervised', 'is_supervised');
  flag('isMandatory', 'is_mandatory');
  flag('isMdmRemovable', 'is_mdm_removable');
  flag('awaitDeviceConfigured', 'await_device_configured');
  flag('autoAdvanceSetup', 'auto_advance_setup');
  flag('isMultiUser', 'is_multi_user');
  flag('allowPairing', 'allow_pairing');
  text('supportPhoneNumber', 'support_phone_number');
  text('supportEmailAddress', 'support_email_address');
  text('department', 'department');
  text('orgMagic', 'org_magic');
  text('language', 'language');
  text('region', 'region');
  list('anchorCerts', 'anchor_certs');
  list('supervisingHostCerts', 'supervising_host_certs');
  list('skipSetupItems', 'skip_setup_items');
  text('configurationWebUrl', 'configuration_web_url');
  list('devices', 'devices');
  return out as Profile;
}

export type AssignStatus = 'SUCCESS' | 'NOT_ACCESSIBLE' | 'FAILED' | 'THROTTLED' | (string & {});

export interface DefineProfileResult {
  readonly profileUuid: string;
  /** Per serial in `devices`, when the definition assigned any. */
  readonly devices: Readonly<Record<string, AssignStatus>>;
}

/**
 * Defines a new profile; every call makes a new UUID, so it is not retried after a network
 * failure that may have reached Apple (that could leave an orphan profile behind).
 */
export async function defineProfile(
  api: DepRequester,
  profile: ProfileDefinition,
  options: CallOptions = {},
): Promise<DefineProfileResult> {
  if (profile.devices !== undefined) checkSerials(profile.devices);
  const call = 'POST /profile';
  const answer = expectObject(
    call,
    await api.request({
      method: 'POST',
      path: '/profile',
      body: profileToWire(profile),
      idempotent: false,
      ...options,
    }),
  );
  return { profileUuid: requiredStr(call, answer, 'profile_uuid'), devices: statusMap(answer, 'devices') };
}

export async function getProfile(api: DepRequester, profileUuid: string, options: CallOptions = {}): Promise<Profile> {
  if (profileUuid.trim() === '') throw new ValidationError('A profile UUID is required.', 'profileUuid');
  const answer = await api.request({
    method: 'GET',
    path: '/profile',
    query: { profile_uuid: profileUuid },
    ...options,
  });
  return profileFromWire(expectObject('GET /profile', answer));
}

export interface AssignProfileResult {
  readonly profileUuid: string;
  readonly devices: Readonly<Record<string, AssignStatus>>;
  /** Set when some serials came back THROTTLED: retry those after this many seconds. */
  readonly retryAfterSeconds: number | null;
}

/** Assigns a profile to up to 1000 serials (DepClient.assignProfile batches larger lists). */
export async function assignProfile(
  api: DepRequester,
  profileUuid: string,
  serials: readonly string[],
  options: CallOptions = {},
): Promise<AssignProfileResult> {
  checkSerials(serials);
  if (profileUuid.trim() === '') throw new ValidationError('A profile UUID is required.', 'profileUuid');
  const call = 'POST /profile/devices';
  const answer = expectObject(
    call,
    await api.request({
      method: 'POST',
      path: '/profile/devices',
      body: { profile_uuid: profileUuid, devices: serials },
      ...options,
    }),
  );
  return {
    profileUuid: str(answer, 'profile_uuid') ?? profileUuid,
    devices: statusMap(answer, 'devices'),
    retryAfterSeconds: num(answer, 'retry_after_seconds'),
  };
}

/** Removes the profile assignment of up to 1000 serials. */
export async function removeProfile(
  api: DepRequester,
  serials: readonly string[],
  options: CallOptions & { readonly profileUuid?: string } = {},
): Promise<Record<string, AssignStatus>> {
  checkSerials(serials);
  const { profileUuid, ...call } = options;
  const body: Record<string, unknown> = { devices: serials };
  if (profileUuid !== undefined) body['profile_uuid'] = profileUuid;
  const answer = expectObject(
    'DELETE /profile/devices',
    await api.request({ method: 'DELETE', path: '/profile/devices', body, ...call }),
  );
  return statusMap(answer, 'devices');
}
