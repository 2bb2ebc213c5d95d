import { randomUUID } from 'node:crypto';
import { generateSessionToken, hashOpaqueToken } from '../security/opaque-token.js';
import { hashPassword, passwordProblems, verifyPassword } from '../security/password.js';
import type { ApiKey, ApiKeyRepository } from '../store/repositories/api-keys.js';
import type { LoginThrottleRepository, ThrottleRule, ThrottleState } from '../store/repositories/login-throttle.js';
import type { Repositories, Transactor } from '../store/repositories/index.js';
import type { PasswordLinkRepository } from '../store/repositories/password-links.js';
import type { Session, SessionRepository } from '../store/repositories/sessions.js';
import type { User, UserRepository } from '../store/repositories/users.js';
import type { Role } from '../store/schema.js';
import { ORCHARD, recordAudit } from './audit.js';
import { isoNow, type Clock } from './clock.js';
import {
  DomainError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  UnauthenticatedError,
  ValidationError,
} from './errors.js';
import type { Credential, Principal } from './principal.js';

export type { ApiKey, Session, User };

export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** Sliding expiry is written at most this often, not on every request. */
const SESSION_EXTEND_AFTER_MS = 5 * 60 * 1000;
/** last_used_at is for "is this key still in use?": a minute's precision is plenty. */
const API_KEY_TOUCH_AFTER_MS = 60_000;
/** A session keeps this much of its browser's User-Agent, enough to recognise it in a list. */
const USER_AGENT_MAX = 300;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

interface ThrottlePolicy {
  /** Wrong passwords that lock; the attempt that reaches the number is still checked. */
  readonly maxFailures: number;
  /** Failures that never reach a lock are forgotten this long after the first of them. */
  readonly windowMs: number;
  /** How long the first lock lasts, then the one after each wrong password once a lock ran out; the last repeats. */
  readonly lockMs: readonly [number, ...number[]];
  /** After a lock, the count is forgotten once this long has passed since it ran out with no new failure. */
  readonly forgetAfterMs: number;
}

/**
 * Sign-in throttling has two layers, checked in this order before the password is:
 *
 * - One account from one client address: 10 wrong passwords within 15 minutes lock that
 *   address out of that account for 15 minutes; each wrong password after a lock runs out
 *   locks it again for twice as long (30 min, 1 h, … 24 h) until a day passes without one.
 *   Someone mistyping never gets there; a guesser at one address gets about 17 tries the
 *   first day and one a day after. The address is part of the key so that an attacker
 *   locks out only their own address, never the real user signing in from theirs.
 * - One account from all addresses together: 100 wrong passwords within an hour lock the
 *   account everywhere for 5 minutes, doubling up to an hour. That is ten addresses' worth
 *   of the first layer, so only spraying from many addresses reaches it. It locks the real
 *   user out too, so it starts short and stops at an hour: it bounds a botnet's guessing
 *   (about 100 an hour, then one per lock) while bounding what the botnet can deny.
 *
 * An attempt refused by the first layer is not counted by the second, or an attacker
 * hammering their locked address would lock the account for everyone.
 */
const PER_ADDRESS: ThrottlePolicy = {
  maxFailures: 10,
  windowMs: 15 * MINUTE_MS,
  lockMs: doubling(15 * MINUTE_MS, 24 * HOUR_MS),
  forgetAfterMs: 24 * HOUR_MS,
};
const PER_ACCOUNT: ThrottlePolicy = {
  maxFailures: 100,
  windowMs: HOUR_MS,
  lockMs: doubling(5 * MINUTE_MS, HOUR_MS),
  forgetAfterMs: 24 * HOUR_MS,
};

const THROTTLE_POLICIES = [PER_ADDRESS, PER_ACCOUNT];

function doubling(firstMs: number, maxMs: number): [number, ...number[]] {
  let ms = Math.min(firstMs, maxMs);
  const steps: [number, ...number[]] = [ms];
  while (ms < maxMs) {
    ms = Math.min(ms * 2, maxMs);
    steps.push(ms);
  }
  return steps;
}

function ruleAt(policy: ThrottlePolicy, now: Date): ThrottleRule {
  const at = (ms: number): string => new Date(now.getTime() + ms).toISOString();
  const [first, ...rest] = policy.lockMs;
  return {
    now: now.toISOString(),
    maxFailures: policy.maxFailures,
    windowStartedBefore: at(-policy.windowMs),
    lockEndedBefore: at(-policy.forgetAfterMs),
    lockUntil: [at(first), ...rest.map(at)],
  };
}

/** The throttle rows one sign-in attempt counts against (exported for tests that read them). */
export function throttleSubjects(email: string, clientAddress: string): { fromAddress: string; account: string } {
  const account = `email:${emailKey(email)}`;
  // An address never contains a space, so the pair cannot collide with another pair.
  return { fromAddress: `ip:${clientAddress} ${account}`, account };
}

export function emailKey(email: string): string {
  return email.trim().normalize('NFKC').toLowerCase();
}

export function parseEmail(raw: string): string {
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

/** Where a sign-in came from: kept with the session for its user's list. */
export interface ClientInfo {
  readonly address: string;
  readonly userAgent: string | null;
}

/** A session as its own user sees it in the list. */
export interface SessionView extends Session {
  /** The session the request itself came with. */
  readonly current: boolean;
}

export class AccountService {
  /**
   * When this process last wrote each key's last_used_at. Requests running at once all read
   * the same stale value from the database; without this, each of them would write it.
   * Only writes are skipped by it: every request still reads the key, so a revoked key is
   * refused at once, by every process.
   */
  private readonly apiKeyTouchedAt = new Map<string, number>();

  constructor(
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly apiKeys: ApiKeyRepository,
    private readonly throttle: LoginThrottleRepository,
    private readonly passwordLinks: PasswordLinkRepository,
    private readonly transactor: Transactor,
    private readonly clock: Clock,
  ) {}

  userCount(): Promise<number> {
    return this.users.count();
  }

  /**
   * Password sign-in. Each attempt is counted before its password is checked (see
   * PER_ADDRESS and PER_ACCOUNT), so that attempts running at the same time cannot all slip
   * in under the limit while the slow hash is computed; past the limit the answer is 429
   * whether or not the password is right, so guessing gains nothing from it.
   */
  async signIn(email: string, password: string, client: ClientInfo): Promise<SignedIn> {
    const now = this.clock.now();
    const subjects = throttleSubjects(email, client.address);
    const accountRule = ruleAt(PER_ACCOUNT, now);
    await this.reserveAttempt(
      [
        { subject: subjects.fromAddress, rule: ruleAt(PER_ADDRESS, now) },
        { subject: subjects.account, rule: accountRule },
      ],
      now,
    );

    const user = await this.users.findByEmailKey(emailKey(email));
    // Verify against a real hash even for an unknown email, so response time does not reveal which emails exist.
    // An invited user with no password yet fails the same way.
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));
    if (user?.passwordHash == null || !ok) {
      // The reserved attempts stay counted: they are the recorded failures.
      throw new UnauthenticatedError(
        'INVALID_CREDENTIALS',
        'The email or password is not right. Check both and try again.',
      );
    }
    // The right password from this address forgives its mistakes there; failures from other
    // addresses still count against the account.
    await this.throttle.clear(subjects.fromAddress);
    await this.throttle.release(subjects.account, accountRule);
    // Only someone who knows the password learns that the account is disabled.
    if (user.disabledAt !== null) {
      throw new ForbiddenError(
        'This account is disabled. Ask an Orchard admin to enable it again.',
        'ACCOUNT_DISABLED',
      );
    }

    const sessionToken = generateSessionToken();
    const expiresAt = new Date(now.getTime() + SESSION_IDLE_MS).toISOString();
    await this.sessions.insert({
      id: randomUUID(),
      tokenHash: hashOpaqueToken(sessionToken),
      userId: user.id,
      now: now.toISOString(),
      expiresAt,
      clientAddress: client.address,
      userAgent: client.userAgent?.slice(0, USER_AGENT_MAX) ?? null,
    });
    const { passwordHash: _, ...publicUser } = user;
    return { user: publicUser, sessionToken, expiresAt };
  }

  async signOut(sessionToken: string): Promise<void> {
    await this.sessions.deleteByHash(hashOpaqueToken(sessionToken));
  }

  /** The user behind a session cookie, extending the session while it is in use. */
  async authenticateSession(
    sessionToken: string,
    clientAddress: string | null = null,
  ): Promise<{ principal: Principal; user: User } | undefined> {
    const now = this.clock.now();
    const session = await this.sessions.findLiveByHash(hashOpaqueToken(sessionToken), now.toISOString());
    if (session === undefined) return undefined;
    const user = await this.users.findById(session.userId);
    // Disabling ends the sessions too; this also covers a session read just before that.
    if (user === undefined || user.disabledAt !== null) return undefined;
    if (now.getTime() - Date.parse(session.lastSeenAt) > SESSION_EXTEND_AFTER_MS) {
      await this.sessions.extend(
        session.id,
        now.toISOString(),
        new Date(now.getTime() + SESSION_IDLE_MS).toISOString(),
      );
    }
    const credential: Credential = { via: 'session', id: session.id, label: user.email, address: clientAddress };
    return { principal: principalOf(user, credential, false), user };
  }

  async authenticateApiKey(key: string, clientAddress: string | null = null): Promise<Principal | undefined> {
    const apiKey = await this.apiKeys.findActiveByHash(hashOpaqueToken(key), isoNow(this.clock));
    if (apiKey === undefined) return undefined;
    await this.recordApiKeyUse(apiKey);
    const keyLabel = `API key "${apiKey.name}"`;
    if (apiKey.userId === null) {
      const credential: Credential = { via: 'api_key', id: apiKey.id, label: keyLabel, address: clientAddress };
      return { role: 'admin', userId: null, readOnly: apiKey.readOnly, credential };
    }
    const user = await this.users.findById(apiKey.userId);
    const label = `${user?.email ?? apiKey.userId}, ${keyLabel}`;
    const credential: Credential = { via: 'api_key', id: apiKey.id, label, address: clientAddress };
    // A disabled user's keys were revoked with it; this also covers a key read just before that.
    return user === undefined || user.disabledAt !== null ? undefined : principalOf(user, credential, apiKey.readOnly);
  }

  /** The principal's own live sessions (none for a service key). */
  async listOwnSessions(principal: Principal): Promise<SessionView[]> {
    if (principal.userId === null) return [];
    const sessions = await this.sessions.listLive(principal.userId, isoNow(this.clock));
    return sessions.map((s) => ({
      ...s,
      current: principal.credential.via === 'session' && principal.credential.id === s.id,
    }));
  }

  /** Ends one of the principal's own sessions; another user's answers like one that does not exist. */
  async endOwnSession(principal: Principal, sessionId: string): Promise<void> {
    if (principal.userId === null || !(await this.sessions.deleteOne(principal.userId, sessionId))) {
      throw new NotFoundError('session', sessionId);
    }
  }

  /** Ends every session of the principal's user except the one the request came with. */
  async endOtherSessions(principal: Principal): Promise<number> {
    if (principal.userId === null) return 0;
    const keep = principal.credential.via === 'session' ? principal.credential.id : undefined;
    return this.sessions.deleteAllOf(principal.userId, keep);
  }

  /** A user changes its own password: the current one is asked for, and its other sessions end. */
  async changeOwnPassword(principal: Principal, currentPassword: string, newPassword: string): Promise<void> {
    if (principal.userId === null) {
      throw new ForbiddenError('A service API key has no password to change.', 'NO_PASSWORD');
    }
    const stored = await this.users.passwordHashOf(principal.userId);
    if (stored == null || !(await verifyPassword(currentPassword, stored))) {
      throw new ValidationError('The current password is not right.', 'currentPassword');
    }
    await this.transactor.transaction(async (repos) => {
      await this.setPassword(repos, principal.userId ?? '', newPassword, 'newPassword');
      const keep = principal.credential.via === 'session' ? principal.credential.id : undefined;
      await repos.sessions.deleteAllOf(principal.userId ?? '', keep);
      await recordAudit(
        repos.auditEvents,
        principal,
        {
          action: 'user.password_changed',
          target: { type: 'user', id: principal.userId ?? '', label: principal.credential.label },
        },
        this.clock,
      );
    });
  }

  /**
   * Sets a password through a one-time link (an invitation or an admin's reset). The link is
   * consumed first, so two uses at once set it once; every session of the user ends, and its
   * sign-in lockouts are lifted (the lockout message sends people to an admin for this).
   */
  async usePasswordLink(token: string, password: string): Promise<User> {
    const problem = passwordProblems(password);
    if (problem !== null) throw new ValidationError(problem, 'password');
    const link = await this.passwordLinks.findLiveByHash(hashOpaqueToken(token), isoNow(this.clock));
    if (link === undefined || !(await this.passwordLinks.take(link.id))) {
      throw new DomainError(
        'not_found',
        'LINK_INVALID',
        'This link has expired or was already used. Ask an Orchard admin for a new one.',
      );
    }
    const user = await this.users.findById(link.userId);
    if (user === undefined) throw new NotFoundError('user', link.userId);
    await this.transactor.transaction(async (repos) => {
      await this.setPassword(repos, user.id, password, 'password');
      await repos.sessions.deleteAllOf(user.id);
      await repos.loginThrottle.clearWithSuffixed(throttleSubjects(user.email, '').account);
      // Nobody is signed in here: whoever held the link, which Orchard gave to this user.
      await recordAudit(
        repos.auditEvents,
        ORCHARD,
        {
          action: 'user.password_set_by_link',
          target: { type: 'user', id: user.id, label: user.email },
          details: { link: link.purpose },
        },
        this.clock,
      );
    });
    return user;
  }

  private async setPassword(
    repos: Pick<Repositories, 'users'>,
    userId: string,
    password: string,
    field: string,
  ): Promise<void> {
    const problem = passwordProblems(password);
    if (problem !== null) throw new ValidationError(problem, field);
    await repos.users.setPassword(userId, await hashPassword(password), isoNow(this.clock));
  }

  /** Writes the key's last_used_at if neither the database nor this process has it from the last minute. */
  private async recordApiKeyUse(apiKey: ApiKey): Promise<void> {
    const now = this.clock.now().getTime();
    const stored = apiKey.lastUsedAt === null ? -Infinity : Date.parse(apiKey.lastUsedAt);
    const written = this.apiKeyTouchedAt.get(apiKey.id) ?? -Infinity;
    if (now - Math.max(stored, written) <= API_KEY_TOUCH_AFTER_MS) return;
    // Noted before the write, so the requests arriving while it runs do not start their own.
    this.apiKeyTouchedAt.set(apiKey.id, now);
    await this.apiKeys.touch(apiKey.id, new Date(now).toISOString());
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
      expiresAt: null,
      readOnly: false,
    });
    return 'created';
  }

  /**
   * Deletes what no longer counts: expired sessions, and sign-in throttle rows every policy
   * has forgotten (without this, each address that ever mistyped a password stays a row).
   */
  async purgeStale(): Promise<{ sessions: number; throttleRows: number }> {
    const now = this.clock.now().getTime();
    const longest = (pick: (policy: ThrottlePolicy) => number) => Math.max(...THROTTLE_POLICIES.map(pick));
    const sessions = await this.sessions.deleteExpired(new Date(now).toISOString());
    await this.passwordLinks.deleteExpired(new Date(now).toISOString());
    const throttleRows = await this.throttle.deleteForgotten(
      new Date(now - longest((policy) => policy.windowMs)).toISOString(),
      new Date(now - longest((policy) => policy.forgetAfterMs)).toISOString(),
    );
    return { sessions, throttleRows };
  }

  /** Counts the attempt against each limit in turn, or refuses it with the wait the first full one asks. */
  private async reserveAttempt(
    limits: readonly { readonly subject: string; readonly rule: ThrottleRule }[],
    now: Date,
  ): Promise<void> {
    const reserved: (typeof limits)[number][] = [];
    for (const limit of limits) {
      const reservation = await this.throttle.reserve(limit.subject, limit.rule);
      if (!reservation.admitted) {
        // A refused attempt checks no password, so it is no failure against the limits it passed.
        for (const done of reserved) await this.throttle.release(done.subject, done.rule);
        throw tooManyAttempts(reservation.state, now);
      }
      reserved.push(limit);
    }
  }
}

function tooManyAttempts(state: ThrottleState | undefined, now: Date): RateLimitedError {
  // No lock to read: a sign-in cleared it a moment ago, so trying again at once is fine.
  const remainingMs = Math.max(1000, state?.lockedUntil == null ? 0 : Date.parse(state.lockedUntil) - now.getTime());
  const minutes = Math.ceil(remainingMs / MINUTE_MS);
  const wait =
    minutes <= 90 ? `${minutes} minute${minutes === 1 ? '' : 's'}` : `${Math.ceil(remainingMs / HOUR_MS)} hours`;
  return new RateLimitedError(
    `Too many failed sign-in attempts. Try again in ${wait}, or ask an admin to reset your password.`,
    Math.ceil(remainingMs / 1000),
  );
}

/** What the user may do through this credential; a read-only key narrows any role to reading. */
function principalOf(user: User, credential: Credential, readOnlyKey: boolean): Principal {
  switch (user.role) {
    case 'admin':
      return { role: 'admin', userId: user.id, readOnly: readOnlyKey, credential };
    case 'technician':
      return { role: 'technician', userId: user.id, customerIds: user.customerIds, readOnly: readOnlyKey, credential };
    case 'read_only':
      return { role: 'read_only', userId: user.id, customerIds: user.customerIds, readOnly: true, credential };
  }
}

/** A valid scrypt hash of a random password nobody knows (see signIn), made on first need. */
let dummy: Promise<string> | undefined;
function dummyHash(): Promise<string> {
  dummy ??= hashPassword(generateSessionToken());
  return dummy;
}
