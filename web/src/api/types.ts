export type UserRole = 'admin' | 'technician' | (string & {});

export interface User {
  id: string;
  email: string;
  role: UserRole;
}

export interface Session {
  user: User;
  csrfToken: string;
}

export interface Customer {
  id: string;
  name: string;
  siteCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface Site {
  id: string;
  customerId: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

/** A page of a cursor-paged list. `nextCursor` is absent on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** RFC 9457 problem details as Orchard sends them. */
export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
}

/** GET /api/v1/system: facts about this Orchard installation. */
export interface SystemInfo {
  /** True when Orchard talks to its built-in Apple sandbox instead of Apple. */
  sandbox: boolean;
  /** Where technicians sign in to Apple Business Manager (the sandbox ABM page in sandbox mode). */
  appleBusinessManagerUrl: string;
  version: string;
}

export type AbmTokenStatus =
  'awaiting_token' | 'active' | 'expiring_soon' | 'expired' | 'terms_not_accepted' | 'rejected' | 'unreachable';

/** An ABM server token: one MDM server in a customer's Apple Business Manager, bound to a Customer and Site. */
export interface AbmToken {
  id: string;
  customerId: string;
  customerName: string;
  siteId: string;
  siteName: string;
  status: AbmTokenStatus | (string & {});
  statusDetail: string | null;
  /** The MDM server's name in ABM; null until the server token is uploaded. */
  serverName: string | null;
  serverUuid: string | null;
  orgName: string | null;
  /** Apple ID of the ABM administrator who downloaded the token. */
  adminId: string | null;
  expiresAt: string | null;
  lastSyncAt: string | null;
  lastSyncError: string | null;
  deviceCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface AbmTokenFilters {
  customerId?: string;
  siteId?: string;
}
