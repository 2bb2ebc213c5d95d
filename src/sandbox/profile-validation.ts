/**
 * `POST /profile` validation with Apple's error codes and limits (apple-protocols.md §2).
 * Apple documents the rules as: profile_name required, at most 125 UTF-8 characters;
 * url required, at most 2000 characters, a valid URI; is_mdm_removable may be false only on
 * supervised devices; department ≤125, support_phone_number ≤50, support_email_address ≤250,
 * org_magic ≤256 — each "either empty or has exceeded the maximum allowed length". The
 * sandbox applies them in that order and reports the first failure, as Apple does.
 */
import { DepError, depErrors } from './dep-errors.js';

const BOOLEAN_FIELDS = [
  'is_supervised',
  'is_mandatory',
  'is_mdm_removable',
  'await_device_configured',
  'auto_advance_setup',
  'is_multi_user',
  'allow_pairing',
  'is_return_to_service',
] as const;

const STRING_LIST_FIELDS = ['anchor_certs', 'supervising_host_certs', 'skip_setup_items'] as const;

const OPTIONAL_TEXT_FIELDS = [
  ['department', 125, 'DEPARTMENT_INVALID'],
  ['support_phone_number', 50, 'SUPPORT_PHONE_INVALID'],
  ['support_email_address', 250, 'SUPPORT_EMAIL_INVALID'],
  ['org_magic', 256, 'MAGIC_INVALID'],
] as const;

export const MAX_DEVICES_PER_CALL = 1000;

export interface ValidProfile {
  /** The profile as stored and returned by `GET /profile` (known fields only). */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly devices: readonly string[];
}

function characters(value: string): number {
  return [...value].length;
}

function invalid(code: string): DepError {
  return new DepError(400, code);
}

export function validateProfile(body: unknown): ValidProfile {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw depErrors.malformedBody();
  const input = body as Record<string, unknown>;
  const settings: Record<string, unknown> = {};

  const name = input['profile_name'];
  if (name === undefined || name === null) throw invalid('CONFIG_NAME_REQUIRED');
  if (typeof name !== 'string' || name.trim() === '' || characters(name) > 125) throw invalid('CONFIG_NAME_INVALID');
  settings['profile_name'] = name;

  const url = input['url'];
  if (url === undefined || url === null) throw invalid('CONFIG_URL_REQUIRED');
  if (typeof url !== 'string' || !isWebUrl(url, 2000)) throw invalid('CONFIG_URL_INVALID');
  settings['url'] = url;

  const configurationWebUrl = input['configuration_web_url'];
  if (configurationWebUrl !== undefined) {
    if (typeof configurationWebUrl !== 'string' || !isWebUrl(configurationWebUrl, 2000))
      throw invalid('CONFIG_URL_INVALID');
    settings['configuration_web_url'] = configurationWebUrl;
  }

  for (const field of BOOLEAN_FIELDS) {
    const value = input[field];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw invalid('FLAGS_INVALID');
    settings[field] = value;
  }
  // Only a supervised device can be kept from removing its MDM profile.
  if (settings['is_mdm_removable'] === false && settings['is_supervised'] !== true) throw invalid('FLAGS_INVALID');

  for (const [field, max, code] of OPTIONAL_TEXT_FIELDS) {
    const value = input[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.trim() === '' || characters(value) > max) throw invalid(code);
    if (field === 'support_email_address' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) throw invalid(code);
    settings[field] = value;
  }

  const language = input['language'];
  const region = input['region'];
  if (language !== undefined || region !== undefined) {
    if (!isLocale(language, region)) throw invalid('LOCALE_INVALID');
    if (language !== undefined) settings['language'] = language;
    if (region !== undefined) settings['region'] = region;
  }

  for (const field of STRING_LIST_FIELDS) {
    const value = input[field];
    if (value === undefined) continue;
    if (!isStringList(value)) throw depErrors.malformedBody();
    settings[field] = value;
  }

  const devices = input['devices'];
  if (devices !== undefined && (!isStringList(devices) || devices.length > MAX_DEVICES_PER_CALL))
    throw depErrors.malformedBody();
  return { settings, devices: (devices as string[] | undefined) ?? [] };
}

function isWebUrl(value: string, maxLength: number): boolean {
  if (value.length === 0 || value.length > maxLength) return false;
  try {
    const url = new URL(value);
    // Apple wants https in production; the sandbox also takes http for local demos.
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** ISO 639 language (two or three letters) and ISO 3166 region (two letters). */
function isLocale(language: unknown, region: unknown): boolean {
  if (language !== undefined && (typeof language !== 'string' || !/^[A-Za-z]{2,3}$/.test(language))) return false;
  if (region !== undefined && (typeof region !== 'string' || !/^[A-Za-z]{2}$/.test(region))) return false;
  try {
    Intl.getCanonicalLocales([language ?? 'und', region].filter((part) => part !== undefined).join('-'));
    return true;
  } catch {
    return false;
  }
}

export function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
