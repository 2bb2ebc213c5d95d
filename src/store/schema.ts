import type { Insertable, Selectable, Updateable } from 'kysely';

/**
 * Table shapes as both engines store them. Timestamps are ISO-8601 UTC strings with
 * milliseconds: they sort correctly as text and come back identical from SQLite and
 * PostgreSQL, so repositories need no per-engine conversion. `*_key` columns hold the
 * normalised form used for case-insensitive uniqueness, computed in TypeScript because
 * SQLite's lower() only folds ASCII.
 */
export interface CustomersTable {
  id: string;
  name: string;
  name_key: string;
  created_at: string;
  updated_at: string;
}

export interface SitesTable {
  id: string;
  customer_id: string;
  name: string;
  name_key: string;
  created_at: string;
  updated_at: string;
}

export type Role = 'admin' | 'technician';

export interface UsersTable {
  id: string;
  email: string;
  email_key: string;
  password_hash: string;
  role: Role;
  created_at: string;
  updated_at: string;
}

export interface UserCustomersTable {
  user_id: string;
  customer_id: string;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  prefix: string;
  key_hash: string;
  /** null: a service key (bootstrap / automation) acting as an admin. */
  user_id: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
}

export interface LoginThrottleTable {
  subject: string;
  failures: number;
  window_started_at: string;
  locked_until: string | null;
}

/** Every secret Orchard keeps, sealed by the secret box; other tables point here. */
export interface SecretsTable {
  id: string;
  purpose: string;
  sealed: string;
  key_id: string;
  created_at: string;
  updated_at: string;
}

export type AppleIssue = 'terms_not_accepted' | 'rejected' | 'unreachable';

export interface AbmTokensTable {
  id: string;
  customer_id: string;
  site_id: string;
  /** The DEP service this token talks to: Apple, or the sandbox it was made against. */
  dep_base_url: string;
  credentials_secret_id: string | null;
  server_name: string | null;
  server_uuid: string | null;
  org_name: string | null;
  org_email: string | null;
  admin_id: string | null;
  expires_at: string | null;
  apple_issue: AppleIssue | null;
  apple_issue_detail: string | null;
  apple_issue_at: string | null;
  connected_at: string | null;
  last_sync_at: string | null;
  last_sync_error: string | null;
  created_at: string;
  updated_at: string;
}

export type KeySlot = 'current' | 'staged';

export interface AbmTokenKeysTable {
  id: string;
  token_id: string;
  slot: KeySlot;
  certificate_pem: string;
  private_key_secret_id: string;
  created_at: string;
}

export interface Database {
  customers: CustomersTable;
  sites: SitesTable;
  users: UsersTable;
  user_customers: UserCustomersTable;
  api_keys: ApiKeysTable;
  sessions: SessionsTable;
  login_throttle: LoginThrottleTable;
  secrets: SecretsTable;
  abm_tokens: AbmTokensTable;
  abm_token_keys: AbmTokenKeysTable;
}

export type CustomerRow = Selectable<CustomersTable>;
export type SiteRow = Selectable<SitesTable>;
export type UserRow = Selectable<UsersTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type SessionRow = Selectable<SessionsTable>;
export type SecretRow = Selectable<SecretsTable>;
export type NewSecretRow = Insertable<SecretsTable>;
export type SecretUpdate = Updateable<SecretsTable>;
