import { createHash, randomBytes } from 'node:crypto';
import type { ProfileDefinition } from '../apple/dep/index.js';
import type { AbmToken } from '../store/repositories/abm-tokens.js';
import type { ProfileSettings, StoredProfile } from '../store/repositories/enrollment-profiles.js';
import type { Repositories, Transactor } from '../store/repositories/index.js';
import { changesOf, recordAudit } from './audit.js';
import { isoNow, type Clock } from './clock.js';
import { NotFoundError, ValidationError } from './errors.js';
import { refuseInvisibleCharacters } from './names.js';
import { customerScope, type Principal } from './principal.js';

export type { ProfileSettings };

/**
 * Apple's Setup Assistant skip keys (apple/device-management, other/skipkeys.yaml). Apple
 * ignores keys a device does not know, but a typo here would silently skip nothing, so
 * anything else is refused.
 */
export const SKIP_SETUP_KEYS: readonly string[] = [
  'Accessibility',
  'ActionButton',
  'AdditionalPrivacySettings',
  'Android',
  'Appearance',
  'AppleID',
  'AppStore',
  'Biometric',
  'CameraButton',
  'DeviceToDeviceMigration',
  'Diagnostics',
  'DisplayTone',
  'EnableLockdownMode',
  'FileVault',
  'HomeButtonSensitivity',
  'iCloudDiagnostics',
  'iCloudStorage',
  'iMessageAndFaceTime',
  'Intelligence',
  'Keyboard',
  'Location',
  'MessagingActivationUsingPhoneNumber',
  'Multitasking',
  'OnBoarding',
  'OSShowcase',
  'Passcode',
  'Payment',
  'Privacy',
  'Restore',
  'RestoreCompleted',
  'Safety',
  'SafetyAndHandling',
  'ScreenSaver',
  'ScreenTime',
  'SIMSetup',
  'Siri',
  'SoftwareUpdate',
  'SpokenLanguage',
  'TapToSetup',
  'TermsOfAddress',
  'Tips',
  'TOS',
  'TVHomeScreenSync',
  'TVProviderSignIn',
  'TVRoom',
  'UnlockWithWatch',
  'UpdateCompleted',
  'Wallpaper',
  'WatchMigration',
  'WebContentFiltering',
  'Welcome',
  'Zoom',
];

/**
 * What a new token's profile says: supervised, mandatory and not removable (an MSP manages
 * these devices), Setup Assistant waits for Orchard's DeviceConfigured, and the panes a
 * company device rarely needs are skipped. Migration 0003 froze the same values.
 */
export const DEFAULT_SETTINGS: ProfileSettings = {
  profileName: null,
  isSupervised: true,
  isMandatory: true,
  isMdmRemovable: false,
  awaitDeviceConfigured: true,
  skipSetupItems: ['Diagnostics', 'iCloudDiagnostics', 'ScreenTime', 'Siri', 'TOS'],
  department: null,
  supportPhoneNumber: null,
  supportEmailAddress: null,
  language: null,
  region: null,
  minimumIosVersion: null,
  minimumMacosVersion: null,
};

/** Apple's limits (apple-protocols.md §2, Profile), counted in characters as Apple does. */
export const PROFILE_LIMITS = {
  profileName: 125,
  department: 125,
  supportPhoneNumber: 50,
  supportEmailAddress: 250,
  url: 2000,
} as const;

/** What the API takes: every editable field. */
export type EnrollmentProfileInput = Omit<
  ProfileSettings,
  'profileName' | 'minimumIosVersion' | 'minimumMacosVersion'
> & {
  readonly profileName: string;
  /** Absent: no minimum. */
  readonly minimumIosVersion?: string | null;
  readonly minimumMacosVersion?: string | null;
};

export interface EnrollmentProfileView extends EnrollmentProfileInput {
  /** Where the token's devices enroll: Orchard's URL with the token's unguessable key. */
  readonly url: string;
  readonly profileUuid: string | null;
  readonly definedAt: string | null;
  readonly lastError: string | null;
}

export function newEnrollmentKey(): string {
  return randomBytes(32).toString('base64url');
}

export function enrollmentUrl(publicBaseUrl: string, enrollmentKey: string): string {
  return `${publicBaseUrl}/mdm/enroll/${enrollmentKey}`;
}

/** "Acme Corp – Main Office", cut to Apple's 125 characters. */
export function defaultProfileName(token: Pick<AbmToken, 'customerName' | 'siteName'>): string {
  return [...`${token.customerName} – ${token.siteName}`].slice(0, PROFILE_LIMITS.profileName).join('');
}

/** The profile exactly as it goes to Apple; its hash says whether Apple's copy is current. */
export function profileDefinition(
  settings: ProfileSettings,
  token: Pick<AbmToken, 'customerName' | 'siteName'>,
  url: string,
): ProfileDefinition {
  const optional = (value: string | null) => (value === null ? undefined : value);
  const definition: Record<string, unknown> = {
    profileName: settings.profileName ?? defaultProfileName(token),
    url,
    isSupervised: settings.isSupervised,
    isMandatory: settings.isMandatory,
    isMdmRemovable: settings.isMdmRemovable,
    awaitDeviceConfigured: settings.awaitDeviceConfigured,
    skipSetupItems: [...settings.skipSetupItems],
    department: optional(settings.department),
    supportPhoneNumber: optional(settings.supportPhoneNumber),
    supportEmailAddress: optional(settings.supportEmailAddress),
    language: optional(settings.language),
    region: optional(settings.region),
  };
  for (const key of Object.keys(definition)) if (definition[key] === undefined) delete definition[key];
  return definition as unknown as ProfileDefinition;
}

export function definitionHash(definition: ProfileDefinition): string {
  const sorted = Object.fromEntries(Object.entries(definition).sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('base64url');
}

function characters(value: string): number {
  return [...value].length;
}

function optionalText(value: string | null, field: string, max: number, what: string): string | null {
  if (value === null) return null;
  const text = value.trim();
  if (text === '') return null;
  // Each is one line in Setup Assistant; a tab or line break is a paste accident.
  if (/\p{Cc}/u.test(text)) {
    throw new ValidationError(`The ${what} cannot contain control characters such as tabs or line breaks.`, field);
  }
  if (characters(text) > max) {
    throw new ValidationError(
      `The ${what} can be at most ${max} characters (Apple's limit); it has ${characters(text)}.`,
      field,
    );
  }
  return text;
}

/** Checks the settings against Apple's rules before anything is sent, naming the field at fault. */
export function validateSettings(
  input: EnrollmentProfileInput,
): Omit<ProfileSettings, 'profileName'> & { profileName: string } {
  const profileName = input.profileName.trim();
  if (profileName === '') throw new ValidationError('The profile needs a name.', 'profileName');
  refuseInvisibleCharacters(profileName, 'profile', 'profileName');
  if (characters(profileName) > PROFILE_LIMITS.profileName) {
    throw new ValidationError(
      `The profile name can be at most ${PROFILE_LIMITS.profileName} characters (Apple's limit); it has ${characters(profileName)}.`,
      'profileName',
    );
  }
  if (!input.isMdmRemovable && !input.isSupervised) {
    throw new ValidationError(
      'Only supervised devices can be kept from removing the MDM profile: turn on "Supervised", or allow removal.',
      'isMdmRemovable',
    );
  }
  const department = optionalText(input.department, 'department', PROFILE_LIMITS.department, 'department');
  const supportPhoneNumber = optionalText(
    input.supportPhoneNumber,
    'supportPhoneNumber',
    PROFILE_LIMITS.supportPhoneNumber,
    'support phone number',
  );
  const supportEmailAddress = optionalText(
    input.supportEmailAddress,
    'supportEmailAddress',
    PROFILE_LIMITS.supportEmailAddress,
    'support email address',
  );
  if (supportEmailAddress !== null && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(supportEmailAddress)) {
    throw new ValidationError(
      'The support email address is not an email address (name@example.com).',
      'supportEmailAddress',
    );
  }
  const skipSetupItems: string[] = [];
  for (const key of input.skipSetupItems) {
    if (!SKIP_SETUP_KEYS.includes(key)) {
      throw new ValidationError(
        `"${key}" is not a Setup Assistant pane Apple knows. Use Apple's keys, such as ${['AppleID', 'Siri', 'TOS'].join(', ')}.`,
        'skipSetupItems',
      );
    }
    if (!skipSetupItems.includes(key)) skipSetupItems.push(key);
  }
  const language = optionalText(input.language, 'language', 3, 'language');
  if (language !== null && !/^[A-Za-z]{2,3}$/.test(language)) {
    throw new ValidationError('The language must be an ISO 639 code such as "en" or "de".', 'language');
  }
  const region = optionalText(input.region, 'region', 2, 'region');
  if (region !== null && !/^[A-Za-z]{2}$/.test(region)) {
    throw new ValidationError('The region must be an ISO 3166 two-letter code such as "US" or "DE".', 'region');
  }
  const minimumIosVersion = osVersion(input.minimumIosVersion ?? null, 'minimumIosVersion', 'iOS');
  const minimumMacosVersion = osVersion(input.minimumMacosVersion ?? null, 'minimumMacosVersion', 'macOS');
  return {
    profileName,
    isSupervised: input.isSupervised,
    isMandatory: input.isMandatory,
    isMdmRemovable: input.isMdmRemovable,
    awaitDeviceConfigured: input.awaitDeviceConfigured,
    skipSetupItems,
    department,
    supportPhoneNumber,
    supportEmailAddress,
    language: language === null ? null : language.toLowerCase(),
    region: region === null ? null : region.toUpperCase(),
    minimumIosVersion,
    minimumMacosVersion,
  };
}

/** "17", "17.4" or "17.4.1": what Apple's software-update answer names as OSVersion. */
function osVersion(value: string | null, field: string, os: string): string | null {
  const text = optionalText(value, field, 20, `minimum ${os} version`);
  if (text !== null && !/^\d{1,3}(\.\d{1,3}){0,2}$/.test(text)) {
    throw new ValidationError(`The minimum ${os} version must look like "17.4" or "17.4.1".`, field);
  }
  return text;
}

export interface EnrollmentProfileServiceDeps {
  readonly repositories: Repositories;
  readonly transactor: Transactor;
  readonly clock: Clock;
  /** Enrollment URLs derive from it (ORCHARD_PUBLIC_URL without a trailing slash). */
  readonly publicBaseUrl: string;
  /** A change must reach Apple: define anew and re-assign (the token's next sync does it). */
  readonly onChanged?: (tokenId: string) => Promise<void>;
}

/**
 * Each token's Setup Assistant profile: stored settings with defaults, the enrollment URL
 * with the token's key, and what the sync must define with Apple.
 */
export class EnrollmentProfileService {
  constructor(private readonly deps: EnrollmentProfileServiceDeps) {}

  async get(principal: Principal, tokenId: string): Promise<EnrollmentProfileView> {
    const token = await this.visible(principal, tokenId);
    return this.view(token, await this.stored(tokenId));
  }

  async put(principal: Principal, tokenId: string, input: EnrollmentProfileInput): Promise<EnrollmentProfileView> {
    const token = await this.visible(principal, tokenId);
    const valid = validateSettings(input);
    const stored = await this.stored(tokenId);
    // The derived name is kept as "derived", so it follows the token to another site.
    const settings: ProfileSettings = {
      ...valid,
      profileName: valid.profileName === defaultProfileName(token) ? null : valid.profileName,
    };
    await this.deps.transactor.transaction(async (repos) => {
      await repos.enrollmentProfiles.saveSettings(tokenId, settings, isoNow(this.deps.clock));
      const changes = changesOf(stored.settings, settings, Object.keys(settings) as (keyof ProfileSettings)[]);
      if (Object.keys(changes).length === 0) return;
      await recordAudit(
        repos.auditEvents,
        principal,
        {
          action: 'enrollment_profile.updated',
          target: { type: 'abm_token', id: token.id, label: `${token.customerName} › ${token.siteName}` },
          customerId: token.customerId,
          siteId: token.siteId,
          details: changes,
        },
        this.deps.clock,
      );
    });
    const saved = (await this.deps.repositories.enrollmentProfiles.find(tokenId)) ?? stored;
    if (this.definitionOf(token, saved).hash !== saved.definedHash && token.state === 'connected') {
      await this.deps.onChanged?.(tokenId);
    }
    return this.view(token, saved);
  }

  /** The token's stored profile, made with the defaults if it has none yet. */
  async stored(tokenId: string): Promise<StoredProfile> {
    const repo = this.deps.repositories.enrollmentProfiles;
    const found = await repo.find(tokenId);
    if (found !== undefined) return found;
    await repo.ensure(tokenId, newEnrollmentKey(), DEFAULT_SETTINGS, isoNow(this.deps.clock));
    const made = await repo.find(tokenId);
    if (made === undefined) throw new NotFoundError('ABM token', tokenId);
    return made;
  }

  /** What Apple should hold for this token now, and its hash. */
  definitionOf(
    token: Pick<AbmToken, 'customerName' | 'siteName'>,
    stored: StoredProfile,
  ): { definition: ProfileDefinition; hash: string } {
    const definition = profileDefinition(
      stored.settings,
      token,
      enrollmentUrl(this.deps.publicBaseUrl, stored.enrollmentKey),
    );
    return { definition, hash: definitionHash(definition) };
  }

  private view(token: AbmToken, stored: StoredProfile): EnrollmentProfileView {
    const s = stored.settings;
    return {
      profileName: s.profileName ?? defaultProfileName(token),
      isSupervised: s.isSupervised,
      isMandatory: s.isMandatory,
      isMdmRemovable: s.isMdmRemovable,
      awaitDeviceConfigured: s.awaitDeviceConfigured,
      skipSetupItems: [...s.skipSetupItems],
      department: s.department,
      supportPhoneNumber: s.supportPhoneNumber,
      supportEmailAddress: s.supportEmailAddress,
      language: s.language,
      region: s.region,
      minimumIosVersion: s.minimumIosVersion,
      minimumMacosVersion: s.minimumMacosVersion,
      url: enrollmentUrl(this.deps.publicBaseUrl, stored.enrollmentKey),
      profileUuid: stored.profileUuid,
      definedAt: stored.definedAt,
      lastError: stored.lastError,
    };
  }

  private async visible(principal: Principal, tokenId: string): Promise<AbmToken> {
    const token = await this.deps.repositories.abmTokens.findById(tokenId);
    const scope = customerScope(principal);
    if (token === undefined || (scope !== undefined && !scope.includes(token.customerId))) {
      throw new NotFoundError('ABM token', tokenId);
    }
    return token;
  }
}
