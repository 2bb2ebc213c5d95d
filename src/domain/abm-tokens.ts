import { randomUUID } from 'node:crypto';
import { TokenExpiredError } from '../apple/errors.js';
import { generateTokenKeyPair, type TokenKeyPair, type TokenKeyPairRequest } from '../apple/pki.js';
import { decryptServerToken, type ServerToken } from '../apple/token-file.js';
import type { AbmServer, AbmToken, AbmTokenKey } from '../store/repositories/abm-tokens.js';
import { CURRENT_STATES, type TokenDeviceCounts } from '../store/repositories/devices.js';
import type { SyncState } from '../store/repositories/sync-states.js';
import type { Page, PageRequest } from '../store/paging.js';
import type { AppleIssue } from '../store/schema.js';
import type { Repositories, Transactor } from '../store/repositories/index.js';
import { tokenStatus, type StatusView } from './abm-token-status.js';
import { ORCHARD, recordAudit, type AuditEntry, type Who } from './audit.js';
import { emitEvent, EXPIRY_NOTICE_DAYS, type EventType } from './events.js';
import { isoNow, type Clock } from './clock.js';
import { DomainError, NotFoundError, ValidationError } from './errors.js';
import { DEFAULT_SETTINGS, newEnrollmentKey } from './enrollment-profiles.js';
import { canSeeCustomer, customerScope, requireCustomerAccess, type Principal } from './principal.js';
import type { SecretStore } from './secrets.js';

export type { AbmToken };

/** The one Apple call adding a token needs: "whose MDM server is this?" (`GET /account`). */
export interface AppleAccountGateway {
  account(depBaseUrl: string, token: ServerToken): Promise<AbmServer>;
}

const NO_DEVICES = Object.fromEntries(CURRENT_STATES.map((s) => [s, 0])) as TokenDeviceCounts['byEnrollmentState'];

export interface AbmTokenView extends StatusView {
  readonly token: AbmToken;
  /** The token's current devices: assigned to its MDM server and not removed from ABM. */
  readonly deviceCount: number;
  /** Those devices by enrollment state. */
  readonly enrollmentCounts: TokenDeviceCounts['byEnrollmentState'];
  readonly sync: SyncProgress;
}

/**
 * Where a token's sync stands. `waiting_for_lease`: a process that stopped (killed, crashed)
 * still holds the token's lease, and no sync can start until it runs out.
 */
export const SYNC_STATES = ['idle', 'queued', 'running', 'waiting_for_lease'] as const;
export type SyncStateName = (typeof SYNC_STATES)[number];

/** The running sync's progress, or the last run's counts when none runs. */
export interface SyncProgress {
  readonly state: SyncStateName;
  readonly pages: number;
  readonly devices: number;
  readonly startedAt: string | null;
  /** In `waiting_for_lease`, when the lease left behind runs out; otherwise null. */
  readonly leaseExpiresAt: string | null;
}

/** Whether the holder of an unexpired sync lease is at work on it (SyncScheduler.isLeaseWorkedOn). */
export type LeaseWorkedOn = (lease: { tokenId: string; owner: string; until: string }, now: Date) => boolean;

export function syncProgress(state: SyncState | undefined, now: Date, workedOn: LeaseWorkedOn): SyncProgress {
  if (state === undefined) return { state: 'idle', pages: 0, devices: 0, startedAt: null, leaseExpiresAt: null };
  const { pages, devices, runStartedAt: startedAt, leaseOwner: owner, leaseUntil: until } = state;
  // Written out rather than spread: a spread followed by more keys is slow on Node 20's V8,
  // and the token list builds one of these per token.
  if (owner !== null && until !== null && until > now.toISOString()) {
    return workedOn({ tokenId: state.tokenId, owner, until }, now)
      ? { state: 'running', pages, devices, startedAt, leaseExpiresAt: null }
      : { state: 'waiting_for_lease', pages, devices, startedAt, leaseExpiresAt: until };
  }
  return { state: state.requestedAt !== null ? 'queued' : 'idle', pages, devices, startedAt, leaseExpiresAt: null };
}

export interface PublicKeyDownload {
  readonly pem: string;
  readonly filename: string;
}

export const MAX_TOKEN_UPLOAD_BYTES = 1024 * 1024;

const CREDENTIALS_PURPOSE = 'abm_token.credentials';
const PRIVATE_KEY_PURPOSE = 'abm_token.private_key';

export interface AbmTokenServiceDeps {
  readonly repositories: Repositories;
  readonly transactor: Transactor;
  readonly secrets: SecretStore;
  readonly apple: AppleAccountGateway;
  readonly clock: Clock;
  /** Where new tokens talk to Apple: the real service, or the sandbox in sandbox mode. */
  readonly depBaseUrl: string;
  readonly generateKeyPair?: (request: TokenKeyPairRequest) => Promise<TokenKeyPair>;
  /** A sync was asked for (on demand, after an upload or a move): wake the scheduler. */
  readonly onSyncRequested?: (tokenId: string) => void;
  /** Tells a sync at work from a lease left behind by a process that stopped. */
  readonly syncLeaseWorkedOn: LeaseWorkedOn;
}

/**
 * ABM server tokens: the key pair handed to Apple Business Manager, the token file it gives
 * back, and everything that can go wrong between the two. Each token belongs to one
 * Customer and Site; each ABM MDM server to at most one token.
 */
export class AbmTokenService {
  private readonly generateKeyPair: (request: TokenKeyPairRequest) => Promise<TokenKeyPair>;

  constructor(private readonly deps: AbmTokenServiceDeps) {
    this.generateKeyPair = deps.generateKeyPair ?? generateTokenKeyPair;
  }

  /** Tokens with their device counts and sync progress, in two queries however many tokens. */
  async views(tokens: readonly AbmToken[]): Promise<AbmTokenView[]> {
    const ids = tokens.map((t) => t.id);
    const [counts, states] = await Promise.all([
      this.deps.repositories.devices.countCurrentByToken(ids),
      this.deps.repositories.syncStates.findMany(ids),
    ]);
    const now = this.deps.clock.now();
    return tokens.map((token) => ({
      token,
      deviceCount: counts.get(token.id)?.total ?? 0,
      enrollmentCounts: counts.get(token.id)?.byEnrollmentState ?? NO_DEVICES,
      sync: syncProgress(states.get(token.id), now, this.deps.syncLeaseWorkedOn),
      ...tokenStatus(token, now),
    }));
  }

  async view(token: AbmToken): Promise<AbmTokenView> {
    const [view] = await this.views([token]);
    if (view === undefined) throw new Error('no view');
    return view;
  }

  async create(principal: Principal, customerId: string, siteId: string): Promise<AbmTokenView> {
    const { customer, site } = await this.placement(principal, customerId, siteId);
    const now = this.deps.clock.now();
    // RSA key generation takes tens of milliseconds: done before the transaction opens.
    const pair = await this.generateKeyPair(certificateNames(customer.name, site.name, now));
    const id = randomUUID();
    await this.deps.transactor.transaction(async (repos) => {
      const privateKeySecretId = await this.deps.secrets
        .using(repos.secrets)
        .put(PRIVATE_KEY_PURPOSE, pair.privateKeyPem);
      await repos.abmTokens.insert(
        { id, customerId, siteId, depBaseUrl: this.deps.depBaseUrl, now: now.toISOString() },
        { id: randomUUID(), certificatePem: pair.certificatePem, privateKeySecretId, now: now.toISOString() },
      );
      // The enrollment URL's key exists from the start, so it never changes once devices use it.
      await repos.enrollmentProfiles.ensure(id, newEnrollmentKey(), DEFAULT_SETTINGS, now.toISOString());
      await this.audit(repos, principal, {
        action: 'abm_token.created',
        target: { type: 'abm_token', id, label: `${customer.name} › ${site.name}` },
        customerId,
        siteId,
      });
    });
    return this.view(await this.mustFind(id));
  }

  /** One page of the tokens the principal may see, in the token table's order. */
  async list(
    principal: Principal,
    filter: { customerId?: string; siteId?: string },
    page: PageRequest,
  ): Promise<Page<AbmTokenView>> {
    const tokens = await this.deps.repositories.abmTokens.list(
      { ...filter, onlyCustomerIds: customerScope(principal) },
      page,
    );
    const items = await this.views(tokens.items);
    return tokens.nextCursor === undefined ? { items } : { items, nextCursor: tokens.nextCursor };
  }

  async get(principal: Principal, id: string): Promise<AbmTokenView> {
    return this.view(await this.visible(principal, id));
  }

  /**
   * The certificate to upload to ABM: the staged one if a new key was asked for, else the
   * current one — the same file on every download, so a technician who downloads twice
   * uploads a key Orchard can use.
   */
  async publicKey(principal: Principal, id: string): Promise<PublicKeyDownload> {
    const token = await this.visible(principal, id);
    const keys = await this.deps.repositories.abmTokens.keys(id);
    const key = keys.find((k) => k.slot === 'staged') ?? keys.find((k) => k.slot === 'current');
    if (key === undefined) throw new Error(`ABM token ${id} has no key pair`);
    await this.audit(this.deps.repositories, principal, {
      ...aboutToken(token, 'abm_token.public_key_downloaded'),
      details: { slot: key.slot },
    });
    return { pem: key.certificatePem, filename: publicKeyFilename(token) };
  }

  /** Stages a fresh key pair for ABM's "Replace Certificate"; the current pair keeps working until a token made for the new one arrives. */
  async stageNewKey(principal: Principal, id: string): Promise<AbmTokenView> {
    const token = await this.visible(principal, id);
    const now = this.deps.clock.now();
    const pair = await this.generateKeyPair(certificateNames(token.customerName, token.siteName, now));
    await this.deps.transactor.transaction(async (repos) => {
      const secrets = this.deps.secrets.using(repos.secrets);
      const privateKeySecretId = await secrets.put(PRIVATE_KEY_PURPOSE, pair.privateKeyPem);
      const replaced = await repos.abmTokens.stageKey(id, {
        id: randomUUID(),
        certificatePem: pair.certificatePem,
        privateKeySecretId,
        now: now.toISOString(),
      });
      await secrets.deleteAll(replaced);
      await this.audit(repos, principal, aboutToken(token, 'abm_token.key_replaced'));
    });
    return this.view(await this.mustFind(id));
  }

  /**
   * Adds (or renews) a token from the file ABM issued: decrypt it with this token's key
   * pairs, ask Apple whose MDM server it is, then store everything in one transaction.
   * Any refusal leaves the token exactly as it was.
   */
  async upload(principal: Principal, id: string, file: Buffer): Promise<AbmTokenView> {
    const token = await this.visible(principal, id);
    if (file.length === 0) {
      throw new DomainError(
        'invalid',
        'TOKEN_FILE_EMPTY',
        'The uploaded file is empty. Choose the token file (.p7m) downloaded from Apple Business Manager.',
      );
    }
    if (file.length > MAX_TOKEN_UPLOAD_BYTES) throw tokenFileTooLarge(file.length);

    const keys = await this.deps.repositories.abmTokens.keys(id);
    const candidates = await Promise.all(keys.map((k) => this.candidate(k)));
    const now = this.deps.clock.now();
    const { token: serverToken, keyPairId } = decryptOrExplain(file, candidates, now);

    const server = await this.askApple(token.depBaseUrl, serverToken);
    if (token.state === 'connected' && token.server.uuid !== server.uuid) {
      throw new DomainError(
        'conflict',
        'TOKEN_SERVER_MISMATCH',
        `This token belongs to the MDM server "${server.name}", but this Orchard token is connected to "${token.server.name}". ` +
          `To renew, download the token of "${token.server.name}" in Apple Business Manager; to connect "${server.name}", use Add ABM token.`,
        { serverName: server.name, expectedServerName: token.server.name },
      );
    }
    await this.refuseIfHeldElsewhere(principal, id, server);

    await this.deps.transactor.transaction(async (repos) => {
      const secrets = this.deps.secrets.using(repos.secrets);
      const credentialsSecretId = await secrets.put(CREDENTIALS_PURPOSE, JSON.stringify(serverToken));
      const result = await repos.abmTokens.connect(id, {
        credentialsSecretId,
        server,
        expiresAt: serverToken.accessTokenExpiry?.toISOString() ?? null,
        keyId: keyPairId,
        now: now.toISOString(),
      });
      if (result === 'not_found') throw new NotFoundError('ABM token', id);
      // Lost a race with another upload of the same server since the check above.
      if (result === 'server_taken') await this.refuseIfHeldElsewhere(principal, id, server, repos);
      if (typeof result === 'object') await secrets.deleteAll(result.orphanedSecretIds);
      // Devices right after the token is added (or renewed: a rejected token may have missed some).
      await repos.syncStates.request(id, now.toISOString());
      if (token.state === 'connected') {
        const renewed = await repos.abmTokens.findById(id);
        if (renewed !== undefined) await this.emit(repos, 'abm_token.renewed', renewed);
      }
      await this.audit(repos, principal, {
        ...aboutToken(token, token.state === 'connected' ? 'abm_token.renewed' : 'abm_token.uploaded', server.name),
        details: {
          server: server.name,
          expiresAt: {
            from: token.state === 'connected' ? token.expiresAt : null,
            to: serverToken.accessTokenExpiry?.toISOString() ?? null,
          },
        },
      });
    });
    this.deps.onSyncRequested?.(id);
    return this.view(await this.mustFind(id));
  }

  /** Moves the token, and its devices with it, to another Customer and Site. */
  async move(principal: Principal, id: string, customerId: string, siteId: string): Promise<AbmTokenView> {
    const before = await this.visible(principal, id);
    await this.placement(principal, customerId, siteId);
    const now = isoNow(this.deps.clock);
    await this.deps.transactor.transaction(async (repos) => {
      // First: a sync page being written for this token waits for the move, or the move for it.
      await repos.syncStates.touch(id, now);
      const result = await repos.abmTokens.move(id, customerId, siteId, now);
      if (result === 'not_found') throw new NotFoundError('ABM token', id);
      if (result === 'site_mismatch') throw siteMismatch();
      await repos.deviceWrites.followToken(id, customerId, siteId, now);
      // The profile's default name follows the site: the next sync defines it anew.
      if (before.state === 'connected') await repos.syncStates.request(id, now);
      const moved = await repos.abmTokens.findById(id);
      await this.audit(repos, principal, {
        ...aboutToken(moved ?? before, 'abm_token.moved'),
        details: {
          customer: { from: before.customerName, to: moved?.customerName },
          site: { from: before.siteName, to: moved?.siteName },
          from: { customerId: before.customerId, siteId: before.siteId },
        },
      });
    });
    if (before.state === 'connected') this.deps.onSyncRequested?.(id);
    return this.view(await this.mustFind(id));
  }

  /** Asks for a device sync now (the "Sync now" button); it runs in the background. */
  async requestSync(principal: Principal, id: string): Promise<AbmTokenView> {
    const token = await this.visible(principal, id);
    if (token.state !== 'connected') {
      throw new DomainError(
        'conflict',
        'TOKEN_NOT_CONNECTED',
        'This token has no server token file yet, so there is nothing to sync. Upload the token file from Apple Business Manager first.',
      );
    }
    await this.deps.transactor.transaction(async (repos) => {
      await repos.syncStates.request(id, isoNow(this.deps.clock));
      await this.audit(repos, principal, aboutToken(token, 'abm_token.sync_requested'));
    });
    this.deps.onSyncRequested?.(id);
    return this.view(await this.mustFind(id));
  }

  /**
   * Deletes the token with its key pairs and Apple credentials; the MDM server stays in ABM.
   * Its devices are kept, marked released, with no token.
   */
  async delete(principal: Principal, id: string): Promise<void> {
    const token = await this.visible(principal, id);
    await this.deps.transactor.transaction(async (repos) => {
      const now = isoNow(this.deps.clock);
      // First: fences a sync of this token running elsewhere (its next page finds no lease).
      await repos.syncStates.touch(id, now);
      await repos.deviceWrites.releaseToken(id, now);
      const secretIds = await repos.abmTokens.delete(id);
      if (secretIds === 'not_found') throw new NotFoundError('ABM token', id);
      await this.deps.secrets.using(repos.secrets).deleteAll(secretIds);
      await this.audit(repos, principal, aboutToken(token, 'abm_token.deleted'));
    });
  }

  /**
   * Asks Apple whether a connected token still works and records the answer, so the status
   * shows "terms not accepted", "expired", "rejected" or "unreachable" — and clears itself
   * once Apple answers normally again.
   */
  async checkWithApple(id: string): Promise<AbmTokenView> {
    const token = await this.mustFind(id);
    if (token.state !== 'connected') return this.view(token);
    const now = isoNow(this.deps.clock);
    const issue = await this.deps.apple.account(token.depBaseUrl, await this.credentials(token)).then(
      () => null,
      (error: unknown) => appleIssueOf(error),
    );
    await this.deps.transactor.transaction(async (repos) => {
      await repos.abmTokens.setAppleIssue(id, issue, now);
      await this.auditIssueChange(repos, token, issue);
    });
    return this.view(await this.mustFind(id));
  }

  /** A sync run ended well: its time, any warning, and an Apple issue it proves gone. */
  async recordSyncSucceeded(token: AbmToken & { state: 'connected' }, warning: string | null): Promise<void> {
    const now = isoNow(this.deps.clock);
    await this.deps.transactor.transaction(async (repos) => {
      await repos.abmTokens.recordSync(token.id, { ok: true, at: now, ...(warning === null ? {} : { warning }) });
      if (token.appleIssue !== null) {
        await repos.abmTokens.setAppleIssue(token.id, null, now);
        await this.auditIssueChange(repos, token, null);
      }
      if (token.lastSyncError !== null) {
        await this.audit(repos, ORCHARD, {
          ...aboutToken(token, 'abm_token.sync_recovered'),
          details: { after: token.lastSyncError },
        });
      }
    });
  }

  /**
   * A sync run failed: what the user reads on the token, and — when Apple is the cause — the
   * issue its status shows (terms, expired, rejected, unreachable).
   */
  async recordSyncFailed(token: AbmToken, error: unknown): Promise<void> {
    const message =
      error instanceof DomainError
        ? error.message
        : `Orchard hit an unexpected error while syncing (${error instanceof Error ? error.message : String(error)}); it tries again later.`;
    const issue = syncIssueOf(error);
    await this.deps.transactor.transaction(async (tx) => {
      await tx.abmTokens.recordSync(token.id, { ok: false, error: message });
      if (issue !== null) {
        await tx.abmTokens.setAppleIssue(token.id, issue, isoNow(this.deps.clock));
        await this.auditIssueChange(tx, token, issue);
      }
      await this.auditSyncFailing(tx, token, message);
    });
  }

  /** The sync did not ask Apple: the token's file says it has expired. */
  async recordSyncRefusedExpired(token: AbmToken & { expiresAt: string }): Promise<void> {
    const error = `This token expired on ${token.expiresAt.slice(0, 10)}, so Apple refuses it. Renew it with a new token file from Apple Business Manager.`;
    await this.deps.transactor.transaction(async (repos) => {
      await repos.abmTokens.recordSync(token.id, { ok: false, error });
      await this.auditSyncFailing(repos, token, error);
    });
  }

  /**
   * `abm_token.expiring` at 30, 14, 7 and 1 days before a token's expiry, and `abm_token.expired`
   * once it has passed: each once per expiry date (a renewed token starts over), the smallest
   * threshold crossed only (a token added with 10 days left gets one "expiring", not two).
   * Returns how many events were written.
   */
  async sendExpiryNotices(): Promise<number> {
    const now = this.deps.clock.now();
    let sent = 0;
    for (const id of await this.connectedTokenIds()) {
      const token = await this.deps.repositories.abmTokens.findById(id);
      if (token?.state !== 'connected' || token.expiresAt === null) continue;
      const msLeft = Date.parse(token.expiresAt) - now.getTime();
      const crossed = msLeft <= 0 ? [...EXPIRY_NOTICE_DAYS, 0] : EXPIRY_NOTICE_DAYS.filter((d) => msLeft <= d * DAY_MS);
      if (crossed.length === 0) continue;
      await this.deps.transactor.transaction(async (repos) => {
        const fresh = await repos.expiryNotices.record(id, expiryKey(token), crossed, now.toISOString());
        if (fresh.length === 0) return;
        await this.emit(repos, fresh.includes(0) ? 'abm_token.expired' : 'abm_token.expiring', token, {
          daysLeft: Math.max(0, Math.ceil(msLeft / DAY_MS)),
        });
        sent += 1;
      });
    }
    return sent;
  }

  private emit(
    repos: Pick<Repositories, 'outbox'>,
    type: EventType,
    token: AbmToken,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    const { status, detail } = tokenStatus(token, this.deps.clock.now());
    return emitEvent(repos.outbox, this.deps.clock, {
      type,
      customerId: token.customerId,
      data: {
        abmTokenId: token.id,
        customerId: token.customerId,
        customerName: token.customerName,
        siteId: token.siteId,
        siteName: token.siteName,
        mdmServer: token.state === 'connected' ? token.server.name : null,
        expiresAt: token.state === 'connected' ? token.expiresAt : null,
        status,
        statusDetail: detail,
        ...extra,
      },
    });
  }

  private audit(repos: Pick<Repositories, 'auditEvents'>, who: Who, entry: AuditEntry): Promise<void> {
    return recordAudit(repos.auditEvents, who, entry, this.deps.clock);
  }

  /**
   * Orchard's own decision, recorded when Apple's answer changes what the token's status says;
   * a new problem a person must act on (terms, rejection, expiry) is an event for webhooks too.
   */
  private async auditIssueChange(
    repos: Pick<Repositories, 'auditEvents' | 'outbox' | 'abmTokens' | 'expiryNotices'>,
    token: AbmToken,
    issue: { kind: AppleIssue; detail: string } | null,
  ): Promise<void> {
    const before = token.state === 'connected' ? (token.appleIssue?.kind ?? null) : null;
    if (before === (issue?.kind ?? null)) return;
    const now = isoNow(this.deps.clock);
    const after = await repos.abmTokens.findById(token.id);
    if (after !== undefined && issue !== null && issue.kind !== 'unreachable') {
      // An expiry is announced once, whether the date passed or Apple said so first.
      const announce =
        issue.kind !== 'expired' || (await repos.expiryNotices.record(token.id, expiryKey(after), [0], now)).length > 0;
      if (announce) await this.emit(repos, `abm_token.${issue.kind}`, after);
    }
    await this.audit(repos, ORCHARD, {
      ...aboutToken(token, 'abm_token.status_changed'),
      details: {
        appleIssue: { from: before, to: issue?.kind ?? null },
        ...(issue === null ? {} : { detail: issue.detail }),
      },
    });
  }

  /** The first failure after a success (or ever): later failures of the same run of failures are not news. */
  private async auditSyncFailing(
    repos: Pick<Repositories, 'auditEvents'>,
    token: AbmToken,
    error: string,
  ): Promise<void> {
    if (token.lastSyncError !== null) return;
    await this.audit(repos, ORCHARD, { ...aboutToken(token, 'abm_token.sync_failing'), details: { error } });
  }

  /** Connected tokens, for background work that checks or syncs each of them. */
  async connectedTokenIds(): Promise<string[]> {
    return this.deps.repositories.abmTokens.connectedIds();
  }

  /** The decrypted OAuth credentials, for the code that talks to Apple on the token's behalf. */
  async credentials(token: AbmToken & { state: 'connected' }): Promise<ServerToken> {
    const plain = await this.deps.secrets.get(token.credentialsSecretId);
    if (plain === undefined) throw new Error(`credentials of ABM token ${token.id} are missing`);
    const parsed = JSON.parse(plain.toString('utf8')) as Omit<ServerToken, 'accessTokenExpiry'> & {
      accessTokenExpiry: string | null;
    };
    return {
      ...parsed,
      accessTokenExpiry: parsed.accessTokenExpiry === null ? null : new Date(parsed.accessTokenExpiry),
    };
  }

  private async askApple(depBaseUrl: string, serverToken: ServerToken): Promise<AbmServer> {
    try {
      return await this.deps.apple.account(depBaseUrl, serverToken);
    } catch (error) {
      // The DEP client's message speaks of retrying on the next sync; here a person is
      // waiting with a file, and nothing has been stored.
      if (error instanceof DomainError && (error.kind === 'unavailable' || error.kind === 'rate_limited')) {
        throw new DomainError(
          'unavailable',
          'APPLE_UNAVAILABLE',
          `Apple's device assignment service did not answer, so Orchard could not check this token (${error.message}) Nothing was changed: upload the same file again in a few minutes.`,
        );
      }
      throw error;
    }
  }

  private async candidate(key: AbmTokenKey): Promise<{ id: string; privateKeyPem: string; certificatePem: string }> {
    const privateKey = await this.deps.secrets.get(key.privateKeySecretId);
    if (privateKey === undefined) throw new Error(`private key ${key.id} is missing`);
    return { id: key.id, privateKeyPem: privateKey.toString('utf8'), certificatePem: key.certificatePem };
  }

  private async refuseIfHeldElsewhere(
    principal: Principal,
    id: string,
    server: AbmServer,
    repos = this.deps.repositories,
  ): Promise<void> {
    const holder = await repos.abmTokens.findByServerUuid(server.uuid);
    if (holder === undefined || holder.id === id) return;
    // The refusal itself cannot be avoided (one MDM server, one token), but whose token it is
    // stays with those who may see that customer.
    if (!canSeeCustomer(principal, holder.customerId)) {
      throw new DomainError(
        'conflict',
        'TOKEN_SERVER_ALREADY_CONNECTED',
        `The MDM server "${server.name}" is already connected to Orchard for another Customer and Site. ` +
          'One MDM server can feed only one Customer and Site: ask an Orchard administrator to renew or delete that token, or create a separate MDM server in Apple Business Manager for this site.',
      );
    }
    throw new DomainError(
      'conflict',
      'TOKEN_SERVER_ALREADY_CONNECTED',
      `The MDM server "${server.name}" is already connected to Orchard for ${holder.customerName} / ${holder.siteName}. ` +
        'One MDM server can feed only one Customer and Site: renew that token instead, or create a separate MDM server in Apple Business Manager for this site.',
      { customerId: holder.customerId, siteId: holder.siteId, tokenId: holder.id },
    );
  }

  private async placement(principal: Principal, customerId: string, siteId: string) {
    requireCustomerAccess(principal, customerId);
    const customer = await this.deps.repositories.customers.findById(customerId);
    if (customer === undefined) throw new NotFoundError('customer', customerId);
    const site = await this.deps.repositories.sites.findById(siteId);
    // A site of a customer the principal may not see is not found, exactly like a made-up id;
    // "belongs to another customer" would confirm that it exists.
    if (site === undefined || !canSeeCustomer(principal, site.customerId)) throw new NotFoundError('site', siteId);
    if (site.customerId !== customerId) throw siteMismatch();
    return { customer, site };
  }

  private async visible(principal: Principal, id: string): Promise<AbmToken> {
    const token = await this.deps.repositories.abmTokens.findById(id);
    const scope = customerScope(principal);
    if (token === undefined || (scope !== undefined && !scope.includes(token.customerId))) {
      throw new NotFoundError('ABM token', id);
    }
    return token;
  }

  private async mustFind(id: string): Promise<AbmToken> {
    const token = await this.deps.repositories.abmTokens.findById(id);
    if (token === undefined) throw new NotFoundError('ABM token', id);
    return token;
  }
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Which expiry a notice is about: the file's date, or Apple's word when the file gave none. */
function expiryKey(token: AbmToken): string {
  return token.state === 'connected' && token.expiresAt !== null ? token.expiresAt : 'apple';
}

/** An audit entry's subject: the token, under its customer and site. */
function aboutToken(
  token: AbmToken,
  action: AuditEntry['action'],
  serverName = token.state === 'connected' ? token.server.name : undefined,
): AuditEntry {
  const server = serverName === undefined ? '' : ` (${serverName})`;
  return {
    action,
    target: { type: 'abm_token', id: token.id, label: `${token.customerName} › ${token.siteName}${server}` },
    customerId: token.customerId,
    siteId: token.siteId,
  };
}

/** How an Apple failure shows on the token; anything unrecognised is a bug and is rethrown. */
export function appleIssueOf(error: unknown): { kind: AppleIssue; detail: string } {
  if (!(error instanceof DomainError)) throw error;
  switch (error.code) {
    case 'DEP_TERMS_NOT_ACCEPTED':
      return { kind: 'terms_not_accepted', detail: error.message };
    // Apple's own word is kept: it can call a token expired before the date in its file.
    case 'DEP_TOKEN_EXPIRED':
      return { kind: 'expired', detail: String(error.extra['appleCode'] ?? 'token_expired') };
    case 'DEP_TOKEN_REJECTED':
    case 'DEP_ACCESS_DENIED':
      return { kind: 'rejected', detail: error.message };
    default:
      if (error.kind === 'unavailable' || error.kind === 'rate_limited') {
        return { kind: 'unreachable', detail: String(error.extra['reason'] ?? error.code) };
      }
      throw error;
  }
}

/** How a failed sync shows on the token's status, when Apple is the cause. */
function syncIssueOf(error: unknown): { kind: AppleIssue; detail: string } | null {
  // A stuck cursor or an unreadable answer says nothing about the token or Apple's reach.
  if (!(error instanceof DomainError) || !error.code.startsWith('DEP_')) return null;
  if (error.code === 'DEP_CURSOR_STUCK' || error.code === 'DEP_UNEXPECTED_RESPONSE') return null;
  try {
    return appleIssueOf(error);
  } catch {
    return null;
  }
}

function decryptOrExplain(
  file: Buffer,
  candidates: Array<{ id: string; privateKeyPem: string; certificatePem: string }>,
  now: Date,
): ReturnType<typeof decryptServerToken> {
  try {
    return decryptServerToken(file, candidates, now);
  } catch (error) {
    // An HTML page saved instead of the file is the commonest wrong upload; say so.
    if (!(error instanceof TokenExpiredError) && looksLikeHtml(file)) {
      throw new DomainError(
        'invalid',
        'TOKEN_NOT_A_TOKEN_FILE',
        'This file is a web page, not a server token: the browser saved the page instead of the download. ' +
          'In Apple Business Manager select Download Token, then Download Server Token, and upload the .p7m file it saves.',
      );
    }
    throw error;
  }
}

function looksLikeHtml(file: Buffer): boolean {
  const head = file.subarray(0, 512).toString('latin1').trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html');
}

export function tokenFileTooLarge(bytes: number): DomainError {
  const size = bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.round(bytes / 1024)} KB`;
  return new DomainError(
    'too_large',
    'TOKEN_FILE_TOO_LARGE',
    `This file is ${size}; a server token is only a few kilobytes. Choose the .p7m file downloaded from Apple Business Manager.`,
  );
}

function siteMismatch(): ValidationError {
  return new ValidationError('That site belongs to another customer. Pick a site of the chosen customer.', 'siteId');
}

function certificateNames(customerName: string, siteName: string, now: Date): TokenKeyPairRequest {
  return {
    commonName: `Orchard ABM token — ${customerName} / ${siteName}`,
    organization: customerName,
    organizationalUnit: siteName,
    now,
  };
}

/** `Orchard_Acme-Corp_Main-Office.pem`: ASCII so every browser and ABM's file picker take it. */
export function publicKeyFilename(token: Pick<AbmToken, 'customerName' | 'siteName'>): string {
  const part = (s: string) =>
    s
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'token';
  return `Orchard_${part(token.customerName)}_${part(token.siteName)}.pem`;
}
