import type { Migration, MigrationProvider } from 'kysely';
import * as foundation from './0001-foundation.js';
import * as abmTokens from './0002-abm-tokens.js';
import * as devices from './0003-devices.js';
import * as appleIssueExpired from './0004-apple-issue-expired.js';
import * as enrollment from './0005-enrollment.js';
import * as deviceCounts from './0006-device-counts.js';
import * as syncLeaseKey from './0007-sync-lease-key.js';
import * as deviceStatusStatistics from './0008-device-status-statistics.js';
import * as dropStatusIndexes from './0009-drop-status-indexes.js';
import * as accounts from './0010-accounts.js';
import * as auditEvents from './0011-audit-events.js';
import * as webhooks from './0012-webhooks.js';
import * as email from './0013-email.js';

/**
 * Migrations are imported statically rather than read from a folder: the same list works
 * from TypeScript sources (tests) and from the compiled build, and a missing file is a
 * compile error instead of a silently skipped migration. Names sort in application order.
 */
const migrations: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-abm-tokens': abmTokens,
  '0003-devices': devices,
  '0004-apple-issue-expired': appleIssueExpired,
  '0005-enrollment': enrollment,
  '0006-device-counts': deviceCounts,
  '0007-sync-lease-key': syncLeaseKey,
  '0008-device-status-statistics': deviceStatusStatistics,
  '0009-drop-status-indexes': dropStatusIndexes,
  '0010-accounts': accounts,
  '0011-audit-events': auditEvents,
  '0012-webhooks': webhooks,
  '0013-email': email,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
