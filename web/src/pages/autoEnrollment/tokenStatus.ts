import type { MantineColor } from '@mantine/core';
import type { AbmToken, AbmTokenStatus, AbmTokenSync } from '../../api';
import { formatTime } from '../../lib/format';

export interface TokenStatusInfo {
  label: string;
  color: MantineColor;
  /** Shown in the badge's tooltip when the server gave no statusDetail. */
  hint: string;
}

export const TOKEN_STATUS: Record<AbmTokenStatus, TokenStatusInfo> = {
  awaiting_token: {
    label: 'Awaiting token',
    color: 'gray',
    hint: 'Orchard has the key pair but not yet the server token from Apple Business Manager. Choose Continue setup to finish.',
  },
  active: {
    label: 'Active',
    color: 'green',
    hint: 'Connected. Orchard syncs the devices assigned to this MDM server.',
  },
  expiring_soon: {
    label: 'Expires soon',
    color: 'yellow',
    hint: 'Renew before it expires: choose Renew, download a new token for this MDM server in Apple Business Manager and upload it.',
  },
  expired: {
    label: 'Expired',
    color: 'red',
    hint: 'Orchard can no longer sync this MDM server. Choose Renew and upload a new token from Apple Business Manager.',
  },
  terms_not_accepted: {
    label: 'Terms not accepted',
    color: 'orange',
    hint: 'Apple changed its terms and conditions. An administrator of the customer’s Apple Business Manager account must sign in and accept them; syncing resumes afterwards.',
  },
  rejected: {
    label: 'Rejected by Apple',
    color: 'red',
    hint: 'Apple refused this token: it was revoked, or replaced by a newer token downloaded in Apple Business Manager. Choose Renew and upload the newest token.',
  },
  unreachable: {
    label: 'Apple unreachable',
    color: 'gray',
    hint: 'Apple did not answer at the last attempt. Orchard retries on its own.',
  },
};

export function tokenStatusInfo(status: string): TokenStatusInfo {
  return (
    TOKEN_STATUS[status as AbmTokenStatus] ?? {
      label: status.replace(/_/g, ' '),
      color: 'gray',
      hint: '',
    }
  );
}

/** Statuses that need a person to act; the banner above the table counts them. */
export const ATTENTION_STATUSES = ['expiring_soon', 'expired', 'terms_not_accepted', 'rejected'] as const;

export function isAwaiting(token: AbmToken): boolean {
  return token.status === 'awaiting_token';
}

/**
 * "Waiting for the previous sync to time out (until 10:15 AM)" while an Orchard process that
 * stopped still holds the token's sync; null otherwise.
 */
export function syncWaitText(sync: AbmTokenSync): string | null {
  if (sync.state !== 'waiting_for_lease') return null;
  const until = sync.leaseExpiresAt ? formatTime(sync.leaseExpiresAt) : '';
  return `Waiting for the previous sync to time out${until ? ` (until ${until})` : ''}`;
}

/** How a token is named to people: its MDM server, or "pending token" before the upload. */
export function tokenDisplayName(token: AbmToken): string {
  return token.serverName ?? 'pending token';
}
