import type { EnrollmentProfile, EnrollmentProfileInput } from '../../../api';

/** Apple's limits for a DEP profile's fields (Define Profile). */
export const PROFILE_LIMITS = {
  profileName: 125,
  department: 125,
  supportPhoneNumber: 50,
  supportEmailAddress: 250,
} as const;

export interface ProfileFormValues {
  profileName: string;
  isSupervised: boolean;
  isMandatory: boolean;
  isMdmRemovable: boolean;
  awaitDeviceConfigured: boolean;
  skipSetupItems: string[];
  department: string;
  supportPhoneNumber: string;
  supportEmailAddress: string;
  language: string | null;
  region: string | null;
  /** "17.4", or empty for no minimum. */
  minimumIosVersion: string;
  minimumMacosVersion: string;
}

export type ProfileField = keyof ProfileFormValues;
export type ProfileErrors = Partial<Record<ProfileField, string>>;

export function toFormValues(profile: EnrollmentProfile): ProfileFormValues {
  return {
    profileName: profile.profileName ?? '',
    isSupervised: profile.isSupervised,
    // Apple ignores "not removable" on unsupervised devices; the form shows what applies.
    isMdmRemovable: profile.isSupervised ? profile.isMdmRemovable : true,
    isMandatory: profile.isMandatory,
    awaitDeviceConfigured: profile.awaitDeviceConfigured,
    skipSetupItems: [...(profile.skipSetupItems ?? [])],
    department: profile.department ?? '',
    supportPhoneNumber: profile.supportPhoneNumber ?? '',
    supportEmailAddress: profile.supportEmailAddress ?? '',
    language: profile.language || null,
    region: profile.region || null,
    // Absent from a server older than the minimum OS versions: no minimum.
    minimumIosVersion: profile.minimumIosVersion ?? '',
    minimumMacosVersion: profile.minimumMacosVersion ?? '',
  };
}

const orNull = (value: string) => (value.trim() === '' ? null : value.trim());

export function toProfileInput(values: ProfileFormValues): EnrollmentProfileInput {
  return {
    profileName: values.profileName.trim(),
    isSupervised: values.isSupervised,
    isMandatory: values.isMandatory,
    isMdmRemovable: values.isSupervised ? values.isMdmRemovable : true,
    awaitDeviceConfigured: values.awaitDeviceConfigured,
    skipSetupItems: values.skipSetupItems,
    department: orNull(values.department),
    supportPhoneNumber: orNull(values.supportPhoneNumber),
    supportEmailAddress: orNull(values.supportEmailAddress),
    language: values.language || null,
    region: values.region || null,
    minimumIosVersion: orNull(values.minimumIosVersion),
    minimumMacosVersion: orNull(values.minimumMacosVersion),
  };
}

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function tooLong(value: string, max: number): string | null {
  const length = value.trim().length;
  return length > max ? `Use at most ${max} characters (this has ${length}).` : null;
}

/**
 * Client-side checks with Apple's limits; the server remains the authority. The shape of a
 * minimum OS version is the server's rule alone: its answer shows under the field.
 */
export function validateProfile(values: ProfileFormValues): ProfileErrors {
  const errors: ProfileErrors = {};
  const name = values.profileName.trim();
  if (name.length === 0) errors.profileName = 'Enter a profile name. Devices show it during Setup Assistant.';
  else errors.profileName = tooLong(name, PROFILE_LIMITS.profileName) ?? undefined;
  errors.department = tooLong(values.department, PROFILE_LIMITS.department) ?? undefined;
  errors.supportPhoneNumber = tooLong(values.supportPhoneNumber, PROFILE_LIMITS.supportPhoneNumber) ?? undefined;
  const email = values.supportEmailAddress.trim();
  errors.supportEmailAddress =
    tooLong(email, PROFILE_LIMITS.supportEmailAddress) ??
    (email && !EMAIL_SHAPE.test(email) ? 'Enter an email address such as help@example.com.' : undefined);
  if (!values.isSupervised && !values.isMdmRemovable) {
    errors.isMdmRemovable = 'Only supervised devices can be kept from removing the MDM profile. Turn on Supervised.';
  }
  for (const key of Object.keys(errors) as ProfileField[]) if (!errors[key]) delete errors[key];
  return errors;
}

/**
 * Which field a server's VALIDATION_FAILED detail is about, so it can be shown under that
 * field. The detail names the field by its JSON name ("supportEmailAddress …") or Apple's
 * ("support_email_address …"); the most specific names are tried first.
 */
const FIELD_NAMES: readonly [ProfileField, readonly string[]][] = [
  ['minimumIosVersion', ['minimumiosversion', 'minimum ios version', 'minimum_ios_version']],
  ['minimumMacosVersion', ['minimummacosversion', 'minimum macos version', 'minimum_macos_version']],
  ['supportEmailAddress', ['supportemailaddress', 'support_email_address', 'email']],
  ['supportPhoneNumber', ['supportphonenumber', 'support_phone_number', 'phone']],
  ['department', ['department']],
  ['skipSetupItems', ['skipsetupitems', 'skip_setup_items', 'setup pane']],
  ['isMdmRemovable', ['ismdmremovable', 'is_mdm_removable', 'removable']],
  ['language', ['language']],
  ['region', ['region']],
  ['profileName', ['profilename', 'profile_name', 'profile name']],
];

const PROFILE_FIELDS: readonly ProfileField[] = [
  'profileName',
  'isSupervised',
  'isMandatory',
  'isMdmRemovable',
  'awaitDeviceConfigured',
  'skipSetupItems',
  'department',
  'supportPhoneNumber',
  'supportEmailAddress',
  'language',
  'region',
  'minimumIosVersion',
  'minimumMacosVersion',
];

/** The field a refusal is about: the one the server names, else the one its detail mentions. */
export function fieldOfError(field: string | null, detail: string): ProfileField | null {
  const named = PROFILE_FIELDS.find((name) => name === field);
  return named ?? fieldOfDetail(detail);
}

export function fieldOfDetail(detail: string): ProfileField | null {
  const text = detail.toLowerCase();
  for (const [field, names] of FIELD_NAMES) if (names.some((name) => text.includes(name))) return field;
  return null;
}
