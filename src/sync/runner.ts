/**
 * One run of one token's device sync: pull devices from Apple (full fetch or incremental
 * sync, from wherever the last run stopped), then make sure Apple holds the token's
 * enrollment profile and assign it to the devices that need it.
 *
 * Pure orchestration over the DEP client and the repositories; the clock, the DEP client and
 * (through it) every sleep are injected. Crash safety comes from one rule: a page's device
 * writes and the cursor after it commit in one transaction, fenced by the lease. Whatever
 * point a process dies at, the next run resumes from the last committed cursor; the page in
 * flight is fetched again and re-applied, which the upsert rules make harmless.
 */
import { randomBytes } from 'node:crypto';
import {
  DepBadRequestError,
  DepThrottledError,
  fetchAllDevices,
  recoverFromCursorError,
  syncDevices,
  type AssignStatus,
  type Device,
} from '../apple/dep/index.js';
import { appleIssueOf, type AbmTokenService } from '../domain/abm-tokens.js';
import { isoNow, type Clock } from '../domain/clock.js';
import { DomainError } from '../domain/errors.js';
import type { EnrollmentProfileService } from '../domain/enrollment-profiles.js';
import type { AbmToken } from '../store/repositories/abm-tokens.js';
import type { AssignOutcome } from '../store/repositories/devices.js';
import type { Repositories, Transactor } from '../store/repositories/index.js';
import type { SyncPhase } from '../store/schema.js';
import type { DepClientFactory, SyncDepClient } from './dep.js';
import { LeaseLostError, SyncStoppedError, type HeldLease } from './lease.js';
import { planPage } from './page-plan.js';

export interface SyncOptions {
  /** Devices per DEP page, 1–1000 (Apple's maximum, and the default). */
  readonly pageSize: number;
  /** Between two successful runs of a token. */
  readonly intervalMs: number;
  /** A device Apple answered FAILED or NOT_ACCESSIBLE for is tried again after this. */
  readonly assignRetryMs: number;
  /** After a failed run: base × 2^(failures − 1), at most the maximum. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

export const DEFAULT_SYNC_OPTIONS: SyncOptions = {
  pageSize: 1000,
  intervalMs: 5 * 60_000,
  assignRetryMs: 60 * 60_000,
  backoffBaseMs: 30_000,
  backoffMaxMs: 60 * 60_000,
};

export interface SyncRunnerDeps {
  readonly repositories: Repositories;
  readonly transactor: Transactor;
  readonly abmTokens: AbmTokenService;
  readonly profiles: EnrollmentProfileService;
  readonly dep: DepClientFactory;
  readonly clock: Clock;
  readonly options: SyncOptions;
}

export type RunResult =
  | { readonly outcome: 'synced'; readonly pages: number; readonly devices: number; readonly assigned: number }
  | { readonly outcome: 'failed'; readonly error: unknown }
  | { readonly outcome: 'skipped'; readonly reason: string }
  | { readonly outcome: 'lost' | 'stopped' };

/** Where the device feed stands: what the stored cursor means. */
interface Position {
  readonly phase: SyncPhase;
  readonly cursor: string | null;
  readonly fetchRun: string | null;
}

const MAX_ASSIGN_BATCH = 1000;

export class SyncRunner {
  constructor(private readonly deps: SyncRunnerDeps) {}

  /** Runs one token under `lease` and always lets the lease go (unless it was lost). */
  async run(lease: HeldLease): Promise<RunResult> {
    const { repositories: repos, clock } = this.deps;
    const token = await repos.abmTokens.findById(lease.tokenId);
    if (token === undefined || token.state !== 'connected') {
      await this.finish(lease, true, this.later());
      return { outcome: 'skipped', reason: 'the token is not connected' };
    }
    if (token.expiresAt !== null && token.expiresAt <= isoNow(clock)) {
      const error = `This token expired on ${token.expiresAt.slice(0, 10)}, so Apple refuses it. Renew it with a new token file from Apple Business Manager.`;
      await repos.abmTokens.recordSync(token.id, { ok: false, error });
      await this.finish(lease, false, this.later());
      return { outcome: 'skipped', reason: 'the token has expired' };
    }

    const progress = { pages: 0, devices: 0, assigned: 0 };
    try {
      const client = this.deps.dep({
        tokenId: token.id,
        depBaseUrl: token.depBaseUrl,
        credentials: await this.deps.abmTokens.credentials(token),
      });
      await this.pull(lease, client, progress);
      const profile = await this.defineProfile(lease, client);
      const throttledUntil = profile.uuid === null ? null : await this.assign(lease, client, profile.uuid, progress);
      lease.check();

      const now = isoNow(clock);
      await repos.abmTokens.recordSync(token.id, {
        ok: true,
        at: now,
        ...(profile.warning === null ? {} : { warning: profile.warning }),
      });
      if (token.appleIssue !== null) await repos.abmTokens.setAppleIssue(token.id, null, now);
      await this.finish(lease, true, throttledUntil ?? this.later());
      return { outcome: 'synced', ...progress };
    } catch (caught) {
      // An abort surfaces as whatever the aborted call threw; the lease says why.
      const error: unknown = lease.signal.aborted ? lease.signal.reason : caught;
      if (error instanceof LeaseLostError) return { outcome: 'lost' };
      if (error instanceof SyncStoppedError) {
        await this.finish(lease, true, isoNow(clock));
        return { outcome: 'stopped' };
      }
      await this.recordFailure(token, error);
      const failures = (await repos.syncStates.find(token.id))?.failures ?? 0;
      await this.finish(lease, false, this.backoff(error, failures));
      return { outcome: 'failed', error };
    }
  }

  /**
   * Devices from Apple until nothing more follows. A fetch without a cursor, paged while
   * `more_to_follow`; then incremental sync from the cursor. EXHAUSTED_CURSOR on a fetch
   * means "sync from here"; an expired or refused cursor means "fetch everything again" —
   * once per run, so a cursor Apple keeps refusing cannot loop. A cursor Apple echoes with
   * `more_to_follow` forever stops the run (DEP_CURSOR_STUCK) with the pages so far kept.
   */
  private async pull(lease: HeldLease, client: SyncDepClient, progress: { pages: number; devices: number }) {
    const state = await this.deps.repositories.syncStates.find(lease.tokenId);
    let position: Position =
      state === undefined || (state.phase === 'sync' && state.cursor === null)
        ? { phase: 'fetch', cursor: null, fetchRun: null }
        : { phase: state.phase, cursor: state.cursor, fetchRun: state.fetchRun };
    const limit = this.deps.options.pageSize;
    const call = { limit, signal: lease.signal };
    let refetched = false;
    for (;;) {
      try {
        if (position.phase === 'fetch') {
          const fetchRun = position.cursor !== null && position.fetchRun !== null ? position.fetchRun : newRunId();
          const start = position.cursor;
          for await (const page of readAhead(
            fetchAllDevices(client, { ...call, ...(start === null ? {} : { cursor: start }) }),
          )) {
            const done = !page.moreToFollow;
            position = { phase: done ? 'sync' : 'fetch', cursor: page.cursor, fetchRun };
            await this.commitPage(lease, page.devices, position, done ? fetchRun : null);
            progress.pages += 1;
            progress.devices += page.devices.length;
          }
        }
        // A full fetch always ends on a cursor (fetchAllDevices refuses an answer without one).
        if (position.cursor === null) throw new Error('no cursor after a full fetch');
        for await (const page of readAhead(syncDevices(client, position.cursor, call))) {
          position = { ...position, phase: 'sync', cursor: page.cursor };
          await this.commitPage(lease, page.devices, position, null);
          progress.pages += 1;
          progress.devices += page.devices.length;
        }
        return;
      } catch (error) {
        if (lease.signal.aborted) throw error;
        const recovery = recoverFromCursorError(error, {
          during: position.phase,
          cursor: position.cursor ?? undefined,
        });
        if (recovery === null) throw error;
        if (recovery.next === 'sync') {
          position = { ...position, phase: 'sync', cursor: recovery.cursor };
        } else {
          if (refetched) throw error;
          refetched = true;
          position = { phase: 'fetch', cursor: null, fetchRun: null };
        }
        await this.savePosition(lease, position);
      }
    }
  }

  /** One page's devices and the cursor after them, in one transaction, only while the lease is ours. */
  private async commitPage(
    lease: HeldLease,
    devices: readonly Device[],
    position: Position,
    reconcileRun: string | null,
  ): Promise<void> {
    lease.check();
    const profileUuid = (await this.deps.repositories.enrollmentProfiles.find(lease.tokenId))?.profileUuid ?? null;
    await this.deps.transactor.transaction(async (repos) => {
      const now = isoNow(this.deps.clock);
      // First statement: fences (and on PostgreSQL locks) the token's sync row, so a token
      // being moved or deleted at this moment is seen either wholly before or wholly after.
      const ours = await repos.syncStates.commitPage(
        lease,
        { phase: position.phase, cursor: position.cursor, fetchRun: position.fetchRun, devices: devices.length },
        now,
        lease.until(),
      );
      const token = ours ? await repos.abmTokens.findById(lease.tokenId) : undefined;
      if (token === undefined) throw new LeaseLostError(lease.tokenId);
      const stored = await repos.devices.findForSync(devices.map((d) => d.serialNumber));
      const plan = planPage(devices, stored, {
        tokenId: token.id,
        customerId: token.customerId,
        siteId: token.siteId,
        profileUuid,
        fetchRun: position.fetchRun,
        now,
      });
      await repos.devices.upsert(plan.upserts, now);
      await repos.devices.markRemoved(token.id, plan.removals, now);
      // The end of a full fetch: whatever of this token's it did not return has left ABM
      // (a refetch after an expired cursor never saw those `deleted` events).
      if (reconcileRun !== null) await repos.devices.markUnseenRemoved(token.id, reconcileRun, now);
    });
  }

  private async savePosition(lease: HeldLease, position: Position): Promise<void> {
    await this.deps.transactor.transaction(async (repos) => {
      const now = isoNow(this.deps.clock);
      const ours = await repos.syncStates.commitPage(
        lease,
        { phase: position.phase, cursor: position.cursor, fetchRun: position.fetchRun, devices: 0 },
        now,
        lease.until(),
      );
      if (!ours) throw new LeaseLostError(lease.tokenId);
    });
  }

  /**
   * Makes Apple hold the token's profile as stored now (settings, name, enrollment URL):
   * defined when it never was or when anything in it changed, and then every current
   * device needs it again. A profile Apple refuses does not stop the sync: the devices are
   * stored, the refusal is shown on the profile and the token.
   */
  private async defineProfile(
    lease: HeldLease,
    client: SyncDepClient,
  ): Promise<{ uuid: string | null; warning: string | null }> {
    const { repositories: repos, profiles, clock } = this.deps;
    const token = await repos.abmTokens.findById(lease.tokenId);
    if (token === undefined) throw new LeaseLostError(lease.tokenId);
    const stored = await profiles.stored(token.id);
    const { definition, hash } = profiles.definitionOf(token, stored);
    if (stored.profileUuid !== null && stored.definedHash === hash) return { uuid: stored.profileUuid, warning: null };
    lease.check();
    let profileUuid: string;
    try {
      profileUuid = (await client.defineProfile(definition, { signal: lease.signal })).profileUuid;
    } catch (error) {
      if (!(error instanceof DepBadRequestError) || lease.signal.aborted) throw error;
      await repos.enrollmentProfiles.recordError(token.id, error.message, isoNow(clock));
      return {
        uuid: stored.profileUuid,
        warning: `Devices are synced, but Apple refused the enrollment profile: ${error.message}`,
      };
    }
    await this.deps.transactor.transaction(async (tx) => {
      const now = isoNow(clock);
      if (!(await tx.syncStates.renew(lease, now, lease.until()))) throw new LeaseLostError(lease.tokenId);
      await tx.enrollmentProfiles.recordDefined(token.id, { profileUuid, hash }, now);
      await tx.devices.requireProfile(token.id, profileUuid, now);
    });
    return { uuid: profileUuid, warning: null };
  }

  /**
   * Assigns the profile to every device waiting for it, 1000 per call. THROTTLED devices
   * stay pending and the run ends; the token runs again once `retry_after_seconds` has
   * passed (returned). FAILED / NOT_ACCESSIBLE are recorded per device and retried after
   * the cool-down. Assigning is idempotent: a batch cut short by a crash is simply resent.
   */
  private async assign(
    lease: HeldLease,
    client: SyncDepClient,
    profileUuid: string,
    progress: { assigned: number },
  ): Promise<string | null> {
    const { repositories: repos, clock, options } = this.deps;
    for (;;) {
      lease.check();
      const serials = await repos.devices.pendingAssignment(lease.tokenId, isoNow(clock), MAX_ASSIGN_BATCH);
      if (serials.length === 0) return null;
      const result = await client.assignProfile(profileUuid, serials, { signal: lease.signal });
      const outcomes: AssignOutcome[] = [];
      let throttled = false;
      for (const serialNumber of serials) {
        const status: AssignStatus | undefined = result.devices[serialNumber];
        if (status === 'THROTTLED') throttled = true;
        else if (status === 'SUCCESS') outcomes.push({ serialNumber, status: 'assigned' });
        else if (status === 'NOT_ACCESSIBLE')
          outcomes.push({ serialNumber, status: 'not_accessible', error: assignError(status) });
        // FAILED, an answer Orchard does not know, or none at all: wait out the cool-down.
        else outcomes.push({ serialNumber, status: 'failed', error: assignError(status ?? null) });
      }
      await this.deps.transactor.transaction(async (tx) => {
        const now = clock.now();
        if (!(await tx.syncStates.renew(lease, now.toISOString(), lease.until()))) {
          throw new LeaseLostError(lease.tokenId);
        }
        await tx.devices.recordAssignments(lease.tokenId, outcomes, {
          profileUuid,
          now: now.toISOString(),
          retryAt: new Date(now.getTime() + options.assignRetryMs).toISOString(),
        });
      });
      progress.assigned += outcomes.filter((o) => o.status === 'assigned').length;
      if (throttled) {
        const seconds = result.retryAfterSeconds ?? 60;
        return new Date(clock.now().getTime() + seconds * 1000).toISOString();
      }
    }
  }

  private async recordFailure(token: AbmToken, error: unknown): Promise<void> {
    const repos = this.deps.repositories;
    const message =
      error instanceof DomainError
        ? error.message
        : `Orchard hit an unexpected error while syncing (${error instanceof Error ? error.message : String(error)}); it tries again later.`;
    await repos.abmTokens.recordSync(token.id, { ok: false, error: message });
    const issue = issueOf(error);
    if (issue !== null) await repos.abmTokens.setAppleIssue(token.id, issue, isoNow(this.deps.clock));
  }

  private async finish(lease: HeldLease, ok: boolean, nextRunAt: string): Promise<void> {
    await this.deps.repositories.syncStates.finish(lease, { ok, nextRunAt, now: isoNow(this.deps.clock) });
  }

  private later(): string {
    return new Date(this.deps.clock.now().getTime() + this.deps.options.intervalMs).toISOString();
  }

  /** Exponential in the failures so far, and never sooner than Apple asked. */
  private backoff(error: unknown, failuresBefore: number): string {
    const { backoffBaseMs, backoffMaxMs } = this.deps.options;
    let delay = Math.min(backoffMaxMs, backoffBaseMs * 2 ** Math.min(failuresBefore, 20));
    if (error instanceof DepThrottledError) delay = Math.max(delay, error.retryAfterSeconds * 1000);
    return new Date(this.deps.clock.now().getTime() + delay).toISOString();
  }
}

/**
 * Asks Apple for the next page while the current one is being stored: the two overlap
 * instead of adding up. Still one page at a time into the database, in order, so every
 * committed cursor has all the devices before it.
 */
async function* readAhead<T>(source: AsyncGenerator<T, void, undefined>): AsyncGenerator<T, void, undefined> {
  let next = source.next();
  for (;;) {
    const result = await next;
    if (result.done === true) return;
    next = source.next();
    // A failure of the page asked for ahead surfaces when its turn comes, not before.
    next.catch(() => undefined);
    yield result.value;
  }
}

function newRunId(): string {
  return randomBytes(9).toString('base64url');
}

function assignError(status: string | null): string {
  switch (status) {
    case 'NOT_ACCESSIBLE':
      return 'Apple answered NOT_ACCESSIBLE: the device is not assigned to this MDM server (any more). Orchard tries again later.';
    case 'FAILED':
      return 'Apple answered FAILED for this device. Orchard tries again later; if it persists, check the device in Apple Business Manager.';
    case null:
      return 'Apple did not answer for this device. Orchard tries again later.';
    default:
      return `Apple answered ${status.replace(/[^A-Z_]/g, '').slice(0, 40)} for this device. Orchard tries again later.`;
  }
}

/** How a failed sync shows on the token's status, when Apple is the cause. */
function issueOf(error: unknown): ReturnType<typeof appleIssueOf> | null {
  // A stuck cursor or an unreadable answer says nothing about the token or Apple's reach.
  if (!(error instanceof DomainError) || !error.code.startsWith('DEP_')) return null;
  if (error.code === 'DEP_CURSOR_STUCK' || error.code === 'DEP_UNEXPECTED_RESPONSE') return null;
  try {
    return appleIssueOf(error);
  } catch {
    return null;
  }
}
