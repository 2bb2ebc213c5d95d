import { randomUUID } from 'node:crypto';
import { generateApiKey, generateSessionToken, hashOpaqueToken } from '../security/opaque-token.js';
import { hashPassword, passwordProblems, verifyPassword } from '../security/password.js';
import type { ApiKey, ApiKeyRepository } from '../store/repositories/api-keys.js';
import type { LoginThrottleRepository } from '../store/repositories/login-throttle.js';
import type { SessionRepository } from '../store/repositories/sessions.js';
import type { User, UserRepository } from '../store/repositories/users.js';
import type { Role } from '../store/schema.js';
import { isoNow, type Clock } from './clock.js';
import { DomainError, NotFoundError, RateLimitedError, UnauthenticatedError, ValidationError } from './errors.js';
import type { Principal } from './principal.js';

export type { ApiKey, User };

export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** Sliding expiry is written at most this often, not on every request. */
const SESSION_EXTEND_AFTER_MS = 5 * 60 * 1000;
const THROTTLE_WINDOW_MS = 15 * 60 * 1000;
const THROTTLE_MAX_FAILURES = 10;
const THROTTLE_LOCK_MS = 15 * 60 * 1000;

export function emailKey(email: string): string {
  return email.trim().normalize('NFKC').toLowerCase();
}

function parseEmail(raw: string): string {
  const email = raw.trim();
  // Deliberately loose: the address is a login name, not something Orchard mails to.
  if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 254) {
    throw new ValidationError(`"${raw}" is not an email address.`, 'email');
  }
  return email;
}

export interface SignedIn {
  readonly user: User;
  /** Goes to the browser in an HttpOnly cookie; only its hash is stored. */
  readonly sessionToken: string;
  readonly expiresAt: string;
}

export interface CreatedApiKey {
  readonly apiKey: ApiKey;
  /** Shown once, never stored. */
  readonly key: string;
}

export class AccountService {
  constructor(
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly apiKeys: ApiKeyRepository,
    private readonly throttle: LoginThrottleRepository,
    private readonly clock: Clock,
  ) {}

  async createUser(input: {
    email: string;
    password: string;
    role: Role;
    customerIds?: readonly string[];
  }): Promise<User> {
    const email = parseEmail(input.email);
    const weak = passwordProblems(input.password);
    if (weak !== null) throw new ValidationError(weak, 'password');
    const created = await this.users.insert({
      id: randomUUID(),
      email,
      emailKey: emailKey(email),
      passwordHash: await hashPassword(input.password),
      role: input.role,
      customerIds: input.role === 'technician' ? (input.customerIds ?? []) : [],
      now: isoNow(this.clock),
    });
    if (created === 'email_taken') {
      throw new DomainError('conflict', 'EMAIL_TAKEN', `A user with the email ${email} already exists.`);
    }
    return created;
  }

  userCount(): Promise<number> {
    return this.users.count();
  }

  listUsers(): Promise<User[]> {
    return this.users.list();
  }

  /**
   * Password sign-in. Failures are counted per email and per client address; past the
   * limit both are refused for a while, whether or not the password is then right, so
   * guessing gains nothing from timing or from distributing across instances.
   */
  async signIn(email: string, password: string, clientAddress: string): Promise<SignedIn> {
    const subjects = [`email:${emailKey(email)}`, `ip:${clientAddress}`];
    const now = this.clock.now();
    for (const subject of subjects) await this.refuseIfLocked(subject, now);

    const user = await this.users.findByEmailKey(emailKey(email));
    // Verify against a real hash even for an unknown email, so response time does not reveal which emails exist.
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));
    if (user === undefined || !ok) {
      for (const subject of subjects) await this.recordFailure(subject, now);
      throw new UnauthenticatedError(
        'INVALID_CREDENTIALS',
        'The email or password is not right. Check both and try again.',
      );
    }
    await this.throttle.clear(subjects[0] as string);

    const sessionToken = generateSessionToken();
    const expiresAt = new Date(now.getTime() + SESSION_IDLE_MS).toISOString();
    await this.sessions.insert({
      id: randomUUID(),
      tokenHash: hashOpaqueToken(sessionToken),
      userId: user.id,
      now: now.toISOString(),
      expiresAt,
    });
    const { passwordHash: _, ...publicUser } = user;
    return { user: publicUser, sessionToken, expiresAt };
  }

  async signOut(sessionToken: string): Promise<void> {
    await this.sessions.deleteByHash(hashOpaqueToken(sessionToken));
  }

  /** The user behind a session cookie, extending the session while it is in use. */
  async authenticateSession(sessionToken: string): Promise<{ principal: Principal; user: User } | undefined> {
    const now = this.clock.now();
    const session = await this.sessions.findLiveByHash(hashOpaqueToken(sessionToken), now.toISOString());
    if (session === undefined) return undefined;
    const user = await this.users.findById(session.userId);
    if (user === undefined) return undefined;
    if (now.getTime() - Date.parse(session.lastSeenAt) > SESSION_EXTEND_AFTER_MS) {
      await this.sessions.extend(
        session.id,
        now.toISOString(),
        new Date(now.getTime() + SESSION_IDLE_MS).toISOString(),
      );
    }
    return { principal: principalOf(user, 'session'), user };
  }

  async authenticateApiKey(key: string): Promise<Principal | undefined> {
    const apiKey = await this.apiKeys.findActiveByHash(hashOpaqueToken(key));
    if (apiKey === undefined) return undefined;
    const now = this.clock.now();
    // last_used_at is for "is this key still in use?", a minute's precision is plenty.
    if (apiKey.lastUsedAt === null || now.getTime() - Date.parse(apiKey.lastUsedAt) > 60_000) {
      await this.apiKeys.touch(apiKey.id, now.toISOString());
    }
    if (apiKey.userId === null) return { role: 'admin', userId: null, via: 'api_key' };
    const user = await this.users.findById(apiKey.userId);
    return user === undefined ? undefined : principalOf(user, 'api_key');
  }

  async createApiKey(input: { name: string; userEmail?: string }): Promise<CreatedApiKey> {
    const name = input.name.trim();
    if (name === '' || name.length > 200)
      throw new ValidationError('Give the API key a name of 1 to 200 characters.', 'name');
    let userId: string | null = null;
    if (input.userEmail !== undefined) {
      const user = await this.users.findByEmailKey(emailKey(input.userEmail));
      if (user === undefined) throw new NotFoundError('user', input.userEmail);
      userId = user.id;
    }
    const { key, prefix } = generateApiKey();
    const apiKey = await this.apiKeys.insert({
      id: randomUUID(),
      name,
      prefix,
      keyHash: hashOpaqueToken(key),
      userId,
      now: isoNow(this.clock),
    });
    return { apiKey, key };
  }

  /** For ORCHARD_BOOTSTRAP_API_KEY: automation supplies the key, Orchard only keeps its hash. */
  async ensureServiceApiKey(key: string, name: string): Promise<'created' | 'exists'> {
    const keyHash = hashOpaqueToken(key);
    if (await this.apiKeys.existsWithHash(keyHash)) return 'exists';
    // The operator chose this key: no part of it is kept in clear, not even a display prefix.
    await this.apiKeys.insert({
      id: randomUUID(),
      name,
      prefix: 'bootstrap',
      keyHash,
      userId: null,
      now: isoNow(this.clock),
    });
    return 'created';
  }

  listApiKeys(): Promise<ApiKey[]> {
    return this.apiKeys.list();
  }

  async revokeApiKey(idOrPrefix: string): Promise<ApiKey[]> {
    const revoked = await this.apiKeys.revoke(idOrPrefix, isoNow(this.clock));
    if (revoked.length === 0) throw new NotFoundError('active API key', idOrPrefix);
    return revoked;
  }

  async purgeExpiredSessions(): Promise<number> {
    return this.sessions.deleteExpired(isoNow(this.clock));
  }

  private async refuseIfLocked(subject: string, now: Date): Promise<void> {
    const state = await this.throttle.get(subject);
    if (state?.lockedUntil == null) return;
    const remainingMs = Date.parse(state.lockedUntil) - now.getTime();
    if (remainingMs > 0) {
      const minutes = Math.ceil(remainingMs / 60_000);
      throw new RateLimitedError(
        `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}, or ask an admin to reset your password.`,
        Math.ceil(remainingMs / 1000),
      );
    }
  }

  private async recordFailure(subject: string, now: Date): Promise<void> {
    const state = await this.throttle.get(subject);
    const windowOpen = state !== undefined && now.getTime() - Date.parse(state.windowStartedAt) < THROTTLE_WINDOW_MS;
    const failures = windowOpen ? state.failures + 1 : 1;
    await this.throttle.put(subject, {
      failures,
      windowStartedAt: windowOpen ? state.windowStartedAt : now.toISOString(),
      lockedUntil: failures >= THROTTLE_MAX_FAILURES ? new Date(now.getTime() + THROTTLE_LOCK_MS).toISOString() : null,
    });
  }
}

function principalOf(user: User, via: 'session' | 'api_key'): Principal {
  return user.role === 'admin'
    ? { role: 'admin', userId: user.id, via }
    : { role: 'technician', userId: user.id, customerIds: user.customerIds, via };
}

/** A valid scrypt hash of a random password nobody knows (see signIn), made on first need. */
let dummy: Promise<string> | undefined;
function dummyHash(): Promise<string> {
  dummy ??= hashPassword(generateSessionToken());
  return dummy;
}
