import { randomUUID } from 'node:crypto';
import { generateApiKey, hashOpaqueToken } from '../security/opaque-token.js';
import type { ApiKey, ApiKeyRepository } from '../store/repositories/api-keys.js';
import type { UserRepository } from '../store/repositories/users.js';
import type { Transactor } from '../store/repositories/index.js';
import { emailKey } from './accounts.js';
import { recordAudit } from './audit.js';
import { isoNow, type Clock } from './clock.js';
import { NotFoundError, ValidationError } from './errors.js';
import { COMMAND_LINE, requireAdmin, requireWriteAccess, type Principal } from './principal.js';

export interface CreatedApiKey {
  readonly apiKey: ApiKeyView;
  /** Shown once, never stored. */
  readonly key: string;
}

/** An API key as listed, with the email of the user it acts as (null: a service key). */
export interface ApiKeyView extends ApiKey {
  readonly userEmail: string | null;
}

export interface NewApiKeyInput {
  readonly name: string;
  /** ISO date-time; absent: the key does not expire. */
  readonly expiresAt?: string;
  readonly readOnly?: boolean;
  /** Admins only: the user the key acts as. Absent: the caller itself. */
  readonly userId?: string;
}

/** The longest an expiry may be set ahead: past this, "never" says it more honestly. */
const MAX_EXPIRY_MS = 5 * 366 * 24 * 60 * 60 * 1000;

/**
 * API keys from the API and the web app. A key acts as a user (or, with no user, as an admin
 * service key) and can be narrowed to reading. Everyone manages their own keys; admins see
 * and revoke every key and may create one for another user. A key never acts beyond its
 * user: a read-only principal cannot create keys at all, so no key can widen what it was given.
 */
export class ApiKeyService {
  constructor(
    private readonly apiKeys: ApiKeyRepository,
    private readonly users: UserRepository,
    private readonly transactor: Transactor,
    private readonly clock: Clock,
  ) {}

  async list(principal: Principal): Promise<ApiKeyView[]> {
    const keys =
      principal.role === 'admin'
        ? await this.apiKeys.list()
        : principal.userId === null
          ? []
          : await this.apiKeys.list(principal.userId);
    // Admins see everyone's keys; anyone else only its own, so only its own email is needed.
    const users = principal.role === 'admin' ? await this.users.list() : [];
    const emails = new Map(users.map((u) => [u.id, u.email]));
    if (principal.role !== 'admin' && principal.userId !== null) {
      const self = await this.users.findById(principal.userId);
      if (self !== undefined) emails.set(self.id, self.email);
    }
    return keys.map((k) => ({ ...k, userEmail: k.userId === null ? null : (emails.get(k.userId) ?? null) }));
  }

  async create(principal: Principal, input: NewApiKeyInput): Promise<CreatedApiKey> {
    requireWriteAccess(principal);
    const name = input.name.trim();
    if (name === '' || name.length > 200) {
      throw new ValidationError('Give the API key a name of 1 to 200 characters.', 'name');
    }
    const now = this.clock.now();
    let expiresAt: string | null = null;
    if (input.expiresAt !== undefined) {
      const at = Date.parse(input.expiresAt);
      if (Number.isNaN(at) || at <= now.getTime() || at - now.getTime() > MAX_EXPIRY_MS) {
        throw new ValidationError(
          'The expiry must be a date and time in the future, at most five years ahead (e.g. 2027-06-30T00:00:00Z).',
          'expiresAt',
        );
      }
      expiresAt = new Date(at).toISOString();
    }
    let userId = principal.userId;
    if (input.userId !== undefined && input.userId !== principal.userId) {
      requireAdmin(principal, 'create API keys for other users');
      userId = input.userId;
    }
    let userEmail: string | null = null;
    if (userId !== null) {
      const user = await this.users.findById(userId);
      if (user === undefined) throw new NotFoundError('user', userId);
      if (user.disabledAt !== null) {
        throw new ValidationError(`${user.email} is disabled: enable the user before giving it a key.`, 'userId');
      }
      userEmail = user.email;
    }
    const { key, prefix } = generateApiKey();
    const apiKey = await this.transactor.transaction(async (repos) => {
      const inserted = await repos.apiKeys.insert({
        id: randomUUID(),
        name,
        prefix,
        keyHash: hashOpaqueToken(key),
        userId,
        now: isoNow(this.clock),
        expiresAt,
        readOnly: input.readOnly === true,
      });
      await recordAudit(
        repos.auditEvents,
        principal,
        {
          action: 'api_key.created',
          target: keyTarget(inserted),
          details: { user: userEmail, readOnly: inserted.readOnly, expiresAt, prefix },
        },
        this.clock,
      );
      return inserted;
    });
    return { apiKey: { ...apiKey, userEmail }, key };
  }

  /** `orchard api-key create`: a key for the user with this email, or an admin service key. */
  async createFromShell(input: { name: string; userEmail?: string }): Promise<CreatedApiKey> {
    let userId: string | undefined;
    if (input.userEmail !== undefined) {
      const wanted = emailKey(input.userEmail);
      const user = (await this.users.list()).find((u) => emailKey(u.email) === wanted);
      if (user === undefined) throw new NotFoundError('user', input.userEmail);
      userId = user.id;
    }
    return this.create(COMMAND_LINE, { name: input.name, ...(userId === undefined ? {} : { userId }) });
  }

  /** `orchard api-key revoke`: by id, or by the prefix a list shows; returns the keys revoked. */
  async revokeFromShell(idOrPrefix: string): Promise<ApiKey[]> {
    const matching = (await this.apiKeys.list()).filter(
      (k) => k.revokedAt === null && (k.id === idOrPrefix || k.prefix === idOrPrefix),
    );
    if (matching.length === 0) throw new NotFoundError('active API key', idOrPrefix);
    for (const key of matching) await this.revoke(COMMAND_LINE, key.id);
    return matching;
  }

  /** Revokes a key: one's own, or any for an admin; another user's answers like one that does not exist. */
  async revoke(principal: Principal, id: string): Promise<void> {
    const key = await this.apiKeys.findById(id);
    const mine = key !== undefined && key.userId !== null && key.userId === principal.userId;
    if (key === undefined || (!mine && principal.role !== 'admin')) throw new NotFoundError('API key', id);
    if (!mine) requireWriteAccess(principal);
    if (key.revokedAt !== null) return;
    await this.transactor.transaction(async (repos) => {
      await repos.apiKeys.revoke(key.id, isoNow(this.clock));
      await recordAudit(
        repos.auditEvents,
        principal,
        { action: 'api_key.revoked', target: keyTarget(key) },
        this.clock,
      );
    });
  }
}

function keyTarget(key: ApiKey) {
  return { type: 'api_key', id: key.id, label: `${key.name} (${key.prefix}…)` };
}
