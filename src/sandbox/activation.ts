/**
 * What Apple hands a device that asks for its cloud configuration at activation
 * (apple-protocols.md §3, step 1): the DEP profile assigned to it, with the organisation that
 * owns it, under the DEP field names the MDM server used to define it. A real device gets
 * these in a plist under Apple's own keys (`ConfigurationURL`, `IsSupervised`, …); the
 * sandbox keeps the DEP names so a simulator can compare them with what was defined.
 *
 * Fields the MDM server left out are given the value a device acts on, as documented for
 * `POST /profile`: not mandatory, MDM removable, not waiting for DeviceConfigured, no
 * skipped panes. Optional text fields appear only when the profile set them.
 */
import type { Organization } from './organization.js';
import type { ProfileRecord } from './profiles.js';

/** The value a device assumes for each boolean the profile may leave out. */
const BOOLEAN_DEFAULTS = {
  // Every device enrolled through DEP on iOS 13 / macOS 10.15 and later is supervised; the
  // field still defaults to false on the wire.
  is_supervised: false,
  is_mandatory: false,
  is_mdm_removable: true,
  await_device_configured: false,
  auto_advance_setup: false,
  is_multi_user: false,
  allow_pairing: true,
  is_return_to_service: false,
} as const;

const LIST_DEFAULTS = { skip_setup_items: [], anchor_certs: [], supervising_host_certs: [] } as const;

const OPTIONAL_FIELDS = [
  'configuration_web_url',
  'department',
  'support_phone_number',
  'support_email_address',
  'org_magic',
  'language',
  'region',
] as const;

export function activationProfile(o: {
  serial: string;
  profile: ProfileRecord;
  organization: Organization;
}): Record<string, unknown> {
  const settings = o.profile.settings;
  const out: Record<string, unknown> = {
    serial_number: o.serial,
    profile_uuid: o.profile.uuid,
    profile_name: settings['profile_name'],
    url: settings['url'],
  };
  for (const [field, fallback] of Object.entries(BOOLEAN_DEFAULTS)) out[field] = settings[field] ?? fallback;
  for (const [field, fallback] of Object.entries(LIST_DEFAULTS)) out[field] = settings[field] ?? fallback;
  for (const field of OPTIONAL_FIELDS) if (settings[field] !== undefined) out[field] = settings[field];
  // Setup Assistant's Remote Management pane names the organisation that manages the device.
  out['org_name'] = o.organization.orgName;
  out['org_address'] = o.organization.orgAddress;
  out['org_phone'] = o.organization.orgPhone;
  out['org_email'] = o.organization.orgEmail;
  return out;
}
