import type { AbmToken } from '../store/repositories/abm-tokens.js';

/** Every status a token can show: the one list the type, the API schema and the metrics derive from. */
export const ABM_TOKEN_STATUSES = [
  'awaiting_token',
  'active',
  'expiring_soon',
  'expired',
  'terms_not_accepted',
  'rejected',
  'unreachable',
] as const;
export type AbmTokenStatus = (typeof ABM_TOKEN_STATUSES)[number];

export const EXPIRING_SOON_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface StatusView {
  readonly status: AbmTokenStatus;
  /** One or two sentences saying what the status means and what to do, or null when all is well. */
  readonly detail: string | null;
}

function day(iso: string): string {
  return iso.slice(0, 10);
}

/**
 * A token's status is computed, never stored: expiry moves with the clock, and Apple's last
 * answer (terms, expiry, rejection, no answer) is kept as a fact beside the token. Expiry,
 * by the file's date or by Apple's word, outranks Apple's other answers because no Apple call
 * can succeed with an expired token.
 */
export function tokenStatus(token: AbmToken, now: Date): StatusView {
  if (token.state === 'awaiting_token') {
    return {
      status: 'awaiting_token',
      detail:
        'Download the public key, add it to an MDM server in Apple Business Manager, then upload the token file Apple Business Manager gives you.',
    };
  }
  const server = token.server.name;
  const renew = `In Apple Business Manager › Preferences › ${server}, select Download Token, then upload the file here with Renew.`;
  const msLeft = token.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(token.expiresAt) - now.getTime();
  if (msLeft <= 0 && token.expiresAt !== null) {
    return { status: 'expired', detail: `This token expired on ${day(token.expiresAt)}. ${renew}` };
  }
  const issue = token.appleIssue;
  if (issue?.kind === 'expired') {
    // Apple's clock, not the token file's date: Apple may end a token early, and the file may
    // give no date at all.
    const fileSaid = token.expiresAt === null ? '' : ` (its file said it was valid until ${day(token.expiresAt)})`;
    return {
      status: 'expired',
      detail: `Apple answered ${issue.detail} when Orchard last used this token: Apple considers it expired${fileSaid}. ${renew}`,
    };
  }
  if (issue?.kind === 'terms_not_accepted') {
    return {
      status: 'terms_not_accepted',
      detail: `Apple Business Manager has new terms and conditions. An administrator of ${token.server.orgName ?? 'the organization'} must sign in to Apple Business Manager and accept them; Orchard resumes by itself afterwards.`,
    };
  }
  if (issue?.kind === 'rejected') {
    return {
      status: 'rejected',
      detail: `Apple rejected this token: it was revoked, a newer token was downloaded for ${server}, or the Apple ID that downloaded it${token.server.adminId === null ? '' : ` (${token.server.adminId})`} changed its password or left. ${renew}`,
    };
  }
  if (issue?.kind === 'unreachable') {
    return {
      status: 'unreachable',
      detail: `Apple did not answer when Orchard last tried (${issue.detail}). Orchard keeps retrying; nothing needs doing unless this lasts.`,
    };
  }
  if (msLeft <= EXPIRING_SOON_DAYS * DAY_MS && token.expiresAt !== null) {
    const days = Math.ceil(msLeft / DAY_MS);
    return {
      status: 'expiring_soon',
      detail: `This token expires in ${days} day${days === 1 ? '' : 's'}, on ${day(token.expiresAt)}. ${renew}`,
    };
  }
  return { status: 'active', detail: null };
}
