import { randomUUID } from 'node:crypto';
import { generateApiKey, hashOpaqueToken } from '../security/opaque-token.js';
import type { ApiKey, ApiKeyRepository } from '../store/repositories/api-keys.js';
import type { UserRepository } from '../store/repositories/users.js';
import type { CreatedApiKey } from './accounts.js';
import { isoNow, type Clock } from './clock.js';
import { NotFoundError, ValidationError } from './errors.js';
import { requireAdmin, requireWriteAccess, type Principal } from './principal.js';

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
    private readonly clock: Clock,
  ) {}

  async list(principal: Principal): Promise<ApiKeyView[]> {
    const keys =
      principal.role === 'admin'
        ? await this.apiKeys.list()
        : principal.userId === null
          ? []
          : await this.apiKeys.list(principal.userId);
    const emails = new Map((await this.users.list()).map((u) => [u.id, u.email]));
    return keys.map((k) => ({ ...k, userEmail: k.userId === null ? null : (emails.get(k.userId) ?? null) }));
  }

  async create(principal: Principal, input: NewApiKeyInput): Promise<CreatedApiKey & { apiKey: ApiKeyView }> {
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
    const apiKey = await this.apiKeys.insert({
      id: randomUUID(),
      name,
      prefix,
      keyHash: hashOpaqueToken(key),
      userId,
      now: isoNow(this.clock),
      expiresAt,
      readOnly: input.readOnly === true,
    });
    return { apiKey: { ...apiKey, userEmail }, key };
  }

  /** Revokes a key: one's own, or any for an admin; another user's answers like one that does not exist. */
  async revoke(principal: Principal, id: string): Promise<void> {
    const key = await this.apiKeys.findById(id);
    const mine = key !== undefined && key.userId !== null && key.userId === principal.userId;
    if (key === undefined || (!mine && principal.role !== 'admin')) throw new NotFoundError('API key', id);
    if (!mine) requireWriteAccess(principal);
    if (key.revokedAt !== null) return;
    await this.apiKeys.revoke(key.id, isoNow(this.clock));
  }
}
