import { randomUUID } from 'node:crypto';
import { generateSessionToken, hashOpaqueToken } from '../security/opaque-token.js';
import { hashPassword, passwordProblems } from '../security/password.js';
import type { CustomerRepository } from '../store/repositories/customers.js';
import type { Repositories, Transactor } from '../store/repositories/index.js';
import type { User, UserChanges, UserRepository } from '../store/repositories/users.js';
import type { PasswordLinkPurpose, Role } from '../store/schema.js';
import { emailKey, parseEmail } from './accounts.js';
import { isoNow, type Clock } from './clock.js';
import { DomainError, NotFoundError, ValidationError } from './errors.js';
import { changesOf, recordAudit, type AuditAction, type Who } from './audit.js';
import { COMMAND_LINE, requireAdmin, type Principal } from './principal.js';

/** How long a link to choose a password works: an invitation waits for someone to read it. */
export const PASSWORD_LINK_LIFETIME_MS: Readonly<Record<PasswordLinkPurpose, number>> = {
  invite: 7 * 24 * 60 * 60 * 1000,
  reset: 24 * 60 * 60 * 1000,
};

/**
 * Where the web app lets the holder of a link choose a password. The token travels in the
 * fragment, which browsers never send to a server, so it stays out of access logs and Referer.
 */
export function passwordLinkUrl(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl}/set-password#token=${token}`;
}

/** A one-time link's secret, shown to the admin once; only its hash is kept. */
export interface PasswordLinkToken {
  readonly token: string;
  readonly purpose: PasswordLinkPurpose;
  readonly expiresAt: string;
}

export interface NewUserInput {
  readonly email: string;
  readonly role: Role;
  readonly customerIds?: readonly string[];
  /** Absent: the user is invited and chooses a password through a one-time link. */
  readonly password?: string;
}

export interface UserPatch {
  readonly email?: string;
  readonly role?: Role;
  readonly customerIds?: readonly string[];
  readonly disabled?: boolean;
}

/**
 * Managing users: admins only. Disabling or deleting a user ends its sessions and API keys in
 * the same transaction; the last admin who can sign in cannot be disabled, demoted or deleted,
 * so an MSP can never lock itself out of its own Orchard.
 */
export class UserService {
  constructor(
    private readonly users: UserRepository,
    private readonly customers: CustomerRepository,
    private readonly transactor: Transactor,
    private readonly clock: Clock,
  ) {}

  list(principal: Principal): Promise<User[]> {
    requireAdmin(principal, 'see the users');
    return this.users.list();
  }

  async get(principal: Principal, id: string): Promise<User> {
    requireAdmin(principal, 'see the users');
    return this.found(id);
  }

  async create(principal: Principal, input: NewUserInput): Promise<{ user: User; link?: PasswordLinkToken }> {
    requireAdmin(principal, 'add users');
    return this.insert(principal, input);
  }

  /**
   * Creates a user with no one to ask: `orchard user create` (the command line) or the first
   * admin at start (Orchard). The API goes through `create`.
   */
  async createUser(input: NewUserInput & { password: string }, who: Who = COMMAND_LINE): Promise<User> {
    return (await this.insert(who, input)).user;
  }

  private async insert(who: Who, input: NewUserInput): Promise<{ user: User; link?: PasswordLinkToken }> {
    const email = parseEmail(input.email);
    let passwordHash: string | null = null;
    if (input.password !== undefined) {
      const weak = passwordProblems(input.password);
      if (weak !== null) throw new ValidationError(weak, 'password');
      passwordHash = await hashPassword(input.password);
    }
    const customerIds = input.role === 'admin' ? [] : await this.existingCustomers(input.customerIds ?? []);
    return this.transactor.transaction(async (repos) => {
      const created = await repos.users.insert({
        id: randomUUID(),
        email,
        emailKey: emailKey(email),
        passwordHash,
        role: input.role,
        customerIds,
        now: isoNow(this.clock),
      });
      if (created === 'email_taken') throw emailTaken(email);
      await this.audit(repos, who, created, passwordHash === null ? 'user.invited' : 'user.created', {
        role: created.role,
        customerIds: created.customerIds,
      });
      if (passwordHash !== null) return { user: created };
      return { user: created, link: await this.issueLink(repos, created.id, 'invite') };
    });
  }

  async update(principal: Principal, id: string, patch: UserPatch): Promise<User> {
    requireAdmin(principal, 'change users');
    const now = isoNow(this.clock);
    const changes: {
      email?: UserChanges['email'];
      role?: Role;
      customerIds?: readonly string[];
      disabledAt?: string | null;
    } = {};
    if (patch.email !== undefined) {
      const email = parseEmail(patch.email);
      changes.email = { email, emailKey: emailKey(email) };
    }
    if (patch.role !== undefined) changes.role = patch.role;
    if (patch.customerIds !== undefined) changes.customerIds = await this.existingCustomers(patch.customerIds);
    if (patch.disabled !== undefined) changes.disabledAt = patch.disabled ? now : null;

    const updated = await this.transactor.transaction(async (repos) => {
      await repos.users.lockAdmins();
      const before = await repos.users.findById(id);
      if (before === undefined) throw new NotFoundError('user', id);
      // Disabling a disabled user keeps the first date.
      if (changes.disabledAt !== undefined && changes.disabledAt !== null && before.disabledAt !== null) {
        delete changes.disabledAt;
      }
      const result = await repos.users.update(id, changes, now);
      if (result === 'not_found') throw new NotFoundError('user', id);
      if (result === 'email_taken') throw emailTaken(changes.email?.email ?? '');
      if (activeAdmin(before) && !activeAdmin(result)) await requireAnActiveAdmin(repos.users);
      const changed = changesOf(before, result, ['email', 'role', 'customerIds']);
      if (Object.keys(changed).length > 0) await this.audit(repos, principal, result, 'user.updated', changed);
      if (result.disabledAt !== null && before.disabledAt === null) {
        const sessions = await repos.sessions.deleteAllOf(id);
        const apiKeys = await repos.apiKeys.revokeAllOf(id, now);
        await repos.passwordLinks.deleteAllOf(id);
        await this.audit(repos, principal, result, 'user.disabled', {
          sessionsEnded: sessions,
          apiKeysRevoked: apiKeys,
        });
      }
      if (result.disabledAt === null && before.disabledAt !== null) {
        await this.audit(repos, principal, result, 'user.enabled');
      }
      return result;
    });
    return updated;
  }

  async delete(principal: Principal, id: string): Promise<void> {
    requireAdmin(principal, 'delete users');
    await this.transactor.transaction(async (repos) => {
      await repos.users.lockAdmins();
      const before = await repos.users.findById(id);
      // Sessions, API keys and links go with the user (foreign keys cascade).
      if (before === undefined || !(await repos.users.delete(id))) throw new NotFoundError('user', id);
      if (activeAdmin(before)) await requireAnActiveAdmin(repos.users);
      await this.audit(repos, principal, before, 'user.deleted', { role: before.role });
    });
  }

  /** A one-time link with which the user chooses a new password; any earlier link stops working. */
  async createPasswordReset(principal: Principal, id: string): Promise<PasswordLinkToken> {
    requireAdmin(principal, 'reset passwords');
    const user = await this.found(id);
    if (user.disabledAt !== null) {
      throw new DomainError(
        'conflict',
        'USER_DISABLED',
        `${user.email} is disabled. Enable the user first, then reset its password.`,
      );
    }
    return this.transactor.transaction(async (repos) => {
      const link = await this.issueLink(repos, user.id, user.passwordSet ? 'reset' : 'invite');
      await this.audit(repos, principal, user, 'user.password_link_created', { link: link.purpose });
      return link;
    });
  }

  /** The user's one live link, replacing any earlier one; the token leaves only in the answer. */
  private async issueLink(
    repos: Pick<Repositories, 'passwordLinks'>,
    userId: string,
    purpose: PasswordLinkPurpose,
  ): Promise<PasswordLinkToken> {
    const token = generateSessionToken();
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + PASSWORD_LINK_LIFETIME_MS[purpose]).toISOString();
    await repos.passwordLinks.replace({
      id: randomUUID(),
      userId,
      tokenHash: hashOpaqueToken(token),
      purpose,
      createdAt: now.toISOString(),
      expiresAt,
    });
    return { token, purpose, expiresAt };
  }

  private audit(
    repos: Pick<Repositories, 'auditEvents'>,
    who: Who,
    user: User,
    action: AuditAction,
    details?: Record<string, unknown>,
  ): Promise<void> {
    return recordAudit(
      repos.auditEvents,
      who,
      {
        action,
        target: { type: 'user', id: user.id, label: user.email },
        ...(details === undefined ? {} : { details }),
      },
      this.clock,
    );
  }

  private async found(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (user === undefined) throw new NotFoundError('user', id);
    return user;
  }

  /** The ids, checked: a customer that does not exist is named in the error, not left to a foreign key. */
  private async existingCustomers(ids: readonly string[]): Promise<string[]> {
    const unique = [...new Set(ids)];
    for (const id of unique) {
      if ((await this.customers.findById(id)) === undefined) {
        throw new ValidationError(
          `There is no customer with the id ${id}. Choose the user's customers from the list.`,
          'customerIds',
        );
      }
    }
    return unique;
  }
}

/** An admin who can sign in now: not disabled, and not still waiting on its invitation. */
function activeAdmin(user: User): boolean {
  return user.role === 'admin' && user.disabledAt === null && user.passwordSet;
}

/**
 * Checked inside the change's transaction, after lockAdmins: two admins demoting each other at once cannot both
 * succeed. Only a change that takes an admin away is checked: an Orchard run from the shell with
 * service keys may have no admin user at all, and its technicians can still be changed.
 */
async function requireAnActiveAdmin(users: UserRepository): Promise<void> {
  if ((await users.countActiveAdmins()) > 0) return;
  throw new DomainError(
    'conflict',
    'LAST_ADMIN',
    'This would leave Orchard without an admin who can sign in. Make another user an admin first.',
  );
}

function emailTaken(email: string): DomainError {
  return new DomainError('conflict', 'EMAIL_TAKEN', `A user with the email ${email} already exists.`);
}
