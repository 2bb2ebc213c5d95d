import type { AuditEvent } from '../../api';
import { roleLabel } from '../../auth/roles';
import { formatDateTime } from '../../lib/format';
import { tokenStatusInfo } from '../autoEnrollment/tokenStatus';
import { eventTypeLabel } from '../settings/webhooks/webhookEvents';

/** One line of an entry's details: "name: Main Office → Head Office". */
export interface DetailLine {
  key: string;
  label: string;
  value: string;
}

/** Names for the keys the server uses, where its own (camelCase) name reads poorly. */
const KEY_LABELS: Record<string, string> = {
  customerIds: 'customers',
  sessionsEnded: 'sessions ended',
  apiKeysRevoked: 'API keys revoked',
  appleIssue: 'Apple issue',
  expiresAt: 'expires',
  readOnly: 'read-only',
  user: 'acts as',
  after: 'previous error',
  profileName: 'profile name',
  isSupervised: 'supervised',
  isMandatory: 'mandatory',
  isMdmRemovable: 'MDM profile removable',
  awaitDeviceConfigured: 'await device configured',
  skipSetupItems: 'skipped Setup Assistant panes',
  supportPhoneNumber: 'support phone',
  supportEmailAddress: 'support email',
  minimumIosVersion: 'minimum iOS version',
  minimumMacosVersion: 'minimum macOS version',
  url: 'URL',
  disabledAt: 'disabled',
};

/** Facts the line says better elsewhere: a move's former ids (its customer and site names are there too). */
const HIDDEN: Partial<Record<string, readonly string[]>> = {
  'abm_token.moved': ['from'],
};

/** What an empty value means for some actions' keys, where "none" would mislead. */
const NONE: Partial<Record<string, string>> = {
  'api_key.created user': 'an admin (service key)',
  'api_key.created expiresAt': 'never',
};

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

export interface DetailContext {
  /** Customer names by id, to show a user's customers by name; ids while unknown. */
  customerNames?: ReadonlyMap<string, string>;
}

/** The entry's details as lines to read, nested values flattened (less what HIDDEN says elsewhere). */
export function detailLines(event: AuditEvent, context: DetailContext = {}): DetailLine[] {
  const hidden = HIDDEN[event.action] ?? [];
  return Object.entries(event.details ?? {})
    .filter(([key]) => !hidden.includes(key))
    .map(([key, value]) => ({
      key,
      label: keyLabel(key),
      value: (value === null ? NONE[`${event.action} ${key}`] : undefined) ?? describe(key, value, context),
    }));
}

function keyLabel(key: string): string {
  return KEY_LABELS[key] ?? key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

/** `{from, to}` as "from → to"; anything else as its value. */
function describe(key: string, value: unknown, context: DetailContext): string {
  if (isChange(value)) return `${show(key, value.from, context)} → ${show(key, value.to, context)}`;
  return show(key, value, context);
}

function isChange(value: unknown): value is { from: unknown; to: unknown } {
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 2 && keys.includes('from') && keys.includes('to');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(key: string, value: unknown, context: DetailContext): string {
  if (value === null || value === undefined) {
    switch (key) {
      // A webhook's: it gets the events of every customer.
      case 'customerIds':
        return 'all customers';
      case 'disabledAt':
        return 'no';
    }
    return 'none';
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return 'none';
    return value.map((item) => show(key, item, context)).join(', ');
  }
  if (isObject(value)) {
    return Object.entries(value)
      .map(([inner, innerValue]) => `${keyLabel(inner)}: ${describe(inner, innerValue, context)}`)
      .join(', ');
  }
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') {
    switch (key) {
      case 'role':
        return roleLabel(value);
      case 'customerIds':
      case 'customerId':
        return context.customerNames?.get(value) ?? value;
      case 'appleIssue':
        return tokenStatusInfo(value).label;
      case 'link':
        return value === 'invite' ? 'invitation' : value;
      case 'events':
        return eventTypeLabel(value);
    }
    if (value === '') return 'none';
    return ISO_DATE_TIME.test(value) ? formatDateTime(value) : value;
  }
  return String(value);
}
