import type { AuditAction } from '../../api';

/** What each action is called in the log: "Renamed site · Head Office". */
export const AUDIT_ACTION: Record<AuditAction, string> = {
  'customer.created': 'Created customer',
  'customer.renamed': 'Renamed customer',
  'customer.deleted': 'Deleted customer',
  'site.created': 'Created site',
  'site.renamed': 'Renamed site',
  'site.deleted': 'Deleted site',
  'abm_token.created': 'Added ABM token',
  'abm_token.public_key_downloaded': 'Downloaded public key',
  'abm_token.key_replaced': 'Made a new public key',
  'abm_token.uploaded': 'Uploaded server token',
  'abm_token.renewed': 'Renewed server token',
  'abm_token.moved': 'Moved ABM token',
  'abm_token.deleted': 'Deleted ABM token',
  'abm_token.sync_requested': 'Asked for a sync',
  'abm_token.status_changed': 'Token status changed',
  'abm_token.sync_failing': 'Sync started failing',
  'abm_token.sync_recovered': 'Sync recovered',
  'enrollment_profile.updated': 'Changed enrollment profile',
  'user.created': 'Added user',
  'user.invited': 'Invited user',
  'user.updated': 'Changed user',
  'user.disabled': 'Disabled user',
  'user.enabled': 'Enabled user',
  'user.deleted': 'Deleted user',
  'user.password_link_created': 'Made a password link',
  'user.password_set_by_link': 'Set password with link',
  'user.password_changed': 'Changed password',
  'api_key.created': 'Created API key',
  'api_key.revoked': 'Revoked API key',
  'webhook.created': 'Added webhook',
  'webhook.updated': 'Changed webhook',
  'webhook.deleted': 'Deleted webhook',
  'webhook.disabled': 'Webhook disabled',
  'webhook.enabled': 'Webhook enabled',
};

export const AUDIT_ACTIONS = Object.keys(AUDIT_ACTION) as AuditAction[];

export function isAuditAction(value: string | null): value is AuditAction {
  return value !== null && Object.hasOwn(AUDIT_ACTION, value);
}

/** The action's label; an action this app does not know yet reads as the server names it. */
export function auditActionLabel(action: string): string {
  return isAuditAction(action) ? AUDIT_ACTION[action] : action.replace(/[._]/g, ' ');
}

interface ActionGroup {
  group: string;
  /** Entries about users, API keys and webhooks belong to no customer: only admins see them. */
  adminsOnly: boolean;
  prefixes: readonly string[];
}

const GROUPS: readonly ActionGroup[] = [
  { group: 'Customers and sites', adminsOnly: false, prefixes: ['customer.', 'site.'] },
  { group: 'ABM tokens', adminsOnly: false, prefixes: ['abm_token.', 'enrollment_profile.'] },
  { group: 'Users', adminsOnly: true, prefixes: ['user.'] },
  { group: 'API keys', adminsOnly: true, prefixes: ['api_key.'] },
  { group: 'Webhooks', adminsOnly: true, prefixes: ['webhook.'] },
];

/** The action filter's choices, grouped; non-admins are not offered what they never see. */
export function actionOptions(admin: boolean) {
  return GROUPS.filter((group) => admin || !group.adminsOnly).map((group) => ({
    group: group.group,
    items: AUDIT_ACTIONS.filter((action) => group.prefixes.some((prefix) => action.startsWith(prefix))).map(
      (action) => ({ value: action, label: AUDIT_ACTION[action] }),
    ),
  }));
}
