import { ForbiddenError, NotFoundError } from './errors.js';

/** How the request proved who it is, and which session or API key that was. */
export interface Credential {
  readonly via: 'session' | 'api_key' | 'command_line';
  /** The session's or the API key's id: "this session", and who did what in the audit trail. */
  readonly id: string;
  /** Who, for people reading the audit trail: the user's email, and the key's name for a key. */
  readonly label: string;
  /** The client's address, as the proxies Orchard trusts report it; null from the shell. */
  readonly address: string | null;
}

/**
 * Who is asking. An admin sees every customer; a technician and a read-only user only those
 * assigned to them. `readOnly` is true for every read-only user and for any principal
 * that came with a read-only API key; the union makes a read-only user who can write, or a
 * scoped user without a customer list, unrepresentable. `userId` is null only for a
 * service key (bootstrap, automation), which acts as an admin.
 */
export type Principal =
  | {
      readonly role: 'admin';
      readonly userId: string | null;
      readonly readOnly: boolean;
      readonly credential: Credential;
    }
  | {
      readonly role: 'technician';
      readonly userId: string;
      readonly customerIds: readonly string[];
      readonly readOnly: boolean;
      readonly credential: Credential;
    }
  | {
      readonly role: 'read_only';
      readonly userId: string;
      readonly customerIds: readonly string[];
      readonly readOnly: true;
      readonly credential: Credential;
    };

/** The operator at the server's shell (`orchard user …`): whoever can run Orchard's commands can do anything. */
export const COMMAND_LINE: Principal = {
  role: 'admin',
  userId: null,
  readOnly: false,
  credential: { via: 'command_line', id: 'command-line', label: 'command line', address: null },
};

/** undefined: no restriction. */
export function customerScope(principal: Principal): readonly string[] | undefined {
  return principal.role === 'admin' ? undefined : principal.customerIds;
}

export function canSeeCustomer(principal: Principal, customerId: string): boolean {
  const scope = customerScope(principal);
  return scope === undefined || scope.includes(customerId);
}

/**
 * A customer outside the principal's scope answers exactly like one that does not exist,
 * so ids cannot be probed.
 */
export function requireCustomerAccess(principal: Principal, customerId: string): void {
  if (!canSeeCustomer(principal, customerId)) throw new NotFoundError('customer', customerId);
}

/** Admin-only actions (customers, users, API keys of others). `action` completes "Only an administrator can …". */
export function requireAdmin(principal: Principal, action: string): void {
  if (principal.role !== 'admin') {
    throw new ForbiddenError(`Only an administrator can ${action}. Ask an Orchard admin.`);
  }
}

/**
 * The one rule for read-only access: every change is refused, whatever the route. The HTTP
 * layer applies it to every write request; a route a read-only user may still use (its own
 * password and sessions) says so itself.
 */
export function requireWriteAccess(principal: Principal): void {
  if (!principal.readOnly) return;
  throw new ForbiddenError(
    principal.role === 'read_only'
      ? 'Your account is read-only: it can see its customers but change nothing. Ask an Orchard admin for a technician or admin role.'
      : 'This API key is read-only. Create a key without the read-only scope to make changes.',
    'READ_ONLY',
  );
}
