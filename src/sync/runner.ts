/**
 * One run of one token's device sync, split as nanodep splits it: the assigner makes Apple
 * hold the token's enrollment profile (profile-assigner.ts), the puller brings the token's
 * devices from Apple into storage (device-pull.ts) while the assigner assigns the profile to
 * each stored page's waiting devices, and the token's own bookkeeping — last sync, errors,
 * Apple issues — goes through the token service.
 *
 * Pure orchestration over the DEP client and the repositories; the clock, the DEP client and
 * (through it) every sleep are injected.
 */
import { DepThrottledError } from '../apple/dep/index.js';
import type { AbmTokenService } from '../domain/abm-tokens.js';
import { isoNow, type Clock } from '../domain/clock.js';
import type { EnrollmentProfileService } from '../domain/enrollment-profiles.js';
import type { Repositories, Transactor } from '../store/repositories/index.js';
import type { DepClientFactory } from './dep.js';
import { DevicePuller } from './device-pull.js';
import { LeaseLostError, SyncStoppedError, type HeldLease } from './lease.js';
import { ProfileAssigner } from './profile-assigner.js';

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

export class SyncRunner {
  private readonly puller: DevicePuller;
  private readonly assigner: ProfileAssigner;

  constructor(private readonly deps: SyncRunnerDeps) {
    this.puller = new DevicePuller(deps);
    this.assigner = new ProfileAssigner(deps);
  }

  /** Runs one token under `lease` and always lets the lease go (unless it was lost). */
  async run(lease: HeldLease): Promise<RunResult> {
    const { repositories: repos, abmTokens, clock } = this.deps;
    const token = await repos.abmTokens.findById(lease.tokenId);
    if (token === undefined || token.state !== 'connected') {
      await this.finish(lease, true, this.later());
      return { outcome: 'skipped', reason: 'the token is not connected' };
    }
    if (token.expiresAt !== null && token.expiresAt <= isoNow(clock)) {
      await abmTokens.recordSyncRefusedExpired({ ...token, expiresAt: token.expiresAt });
      await this.finish(lease, false, this.later());
      return { outcome: 'skipped', reason: 'the token has expired' };
    }

    const progress = { pages: 0, devices: 0, assigned: 0 };
    try {
      const client = this.deps.dep({
        tokenId: token.id,
        depBaseUrl: token.depBaseUrl,
        credentials: await abmTokens.credentials(token),
      });
      // The profile first, so each page's waiting devices are assigned while the next page is
      // fetched and written; then a sweep for any left (cool-downs over, a run cut short).
      const profile = await this.assigner.define(lease, client);
      let throttledUntil: string | null = null;
      if (profile.uuid === null) {
        await this.puller.pull(lease, client, progress);
      } else {
        const stream = this.assigner.stream(lease, client, profile.uuid, progress);
        try {
          await this.puller.pull(lease, client, progress, stream.push);
        } finally {
          await stream.settled();
        }
        throttledUntil = (await stream.drain()) ?? (await this.assigner.assign(lease, client, profile.uuid, progress));
      }
      lease.check();
      await abmTokens.recordSyncSucceeded(token, profile.warning);
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
      await abmTokens.recordSyncFailed(token, error);
      const failures = (await repos.syncStates.find(token.id))?.failures ?? 0;
      await this.finish(lease, false, this.backoff(error, failures));
      return { outcome: 'failed', error };
    }
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
