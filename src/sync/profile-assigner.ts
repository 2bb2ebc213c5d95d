/**
 * The assigner half of a run: makes Apple hold the token's enrollment profile as stored now,
 * and assigns it to every device waiting for it.
 */
import { DepBadRequestError, type AssignStatus } from '../apple/dep/index.js';
import { isoNow } from '../domain/clock.js';
import type { AssignOutcome } from '../store/repositories/device-writes.js';
import type { SyncDepClient } from './dep.js';
import { LeaseLostError, type HeldLease } from './lease.js';
import type { SyncRunnerDeps } from './runner.js';

/** Apple's maximum devices per assignment call. */
const MAX_ASSIGN_BATCH = 1000;
/** Devices marked as needing a redefined profile per transaction: short enough not to stall. */
const REQUIRE_WINDOW = 1000;

export interface DefinedProfile {
  readonly uuid: string | null;
  /** Apple refused the definition: the devices are synced all the same. */
  readonly warning: string | null;
}

export class ProfileAssigner {
  constructor(private readonly deps: SyncRunnerDeps) {}

  /**
   * Defines the profile when it never was or when anything in it (settings, name, enrollment
   * URL) changed; then every current device needs it again. A profile Apple refuses does not
   * stop the sync: the refusal is shown on the profile and the token.
   */
  async define(lease: HeldLease, client: SyncDepClient): Promise<DefinedProfile> {
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
    // The devices first, a window per transaction, then the definition: a run cut short in
    // between defines again next time and finds the devices already waiting.
    let after: string | null = '';
    while (after !== null) {
      const from: string = after;
      after = await this.deps.transactor.transaction(async (tx) => {
        const now = isoNow(clock);
        if (!(await tx.syncStates.renew(lease, now, lease.until()))) throw new LeaseLostError(lease.tokenId);
        return (
          await tx.deviceWrites.requireProfile(token.id, profileUuid, now, { after: from, limit: REQUIRE_WINDOW })
        ).next;
      });
    }
    await this.deps.transactor.transaction(async (tx) => {
      const now = isoNow(clock);
      if (!(await tx.syncStates.renew(lease, now, lease.until()))) throw new LeaseLostError(lease.tokenId);
      await tx.enrollmentProfiles.recordDefined(token.id, { profileUuid, hash }, now);
    });
    return { uuid: profileUuid, warning: null };
  }

  /**
   * Assigns the profile to every device waiting for it, 1000 per call. THROTTLED devices
   * stay pending and the run ends; the token runs again once `retry_after_seconds` has
   * passed (returned). FAILED / NOT_ACCESSIBLE are recorded per device and retried after
   * the cool-down. Assigning is idempotent: a batch cut short by a crash is simply resent.
   */
  async assign(
    lease: HeldLease,
    client: SyncDepClient,
    profileUuid: string,
    progress: { assigned: number },
  ): Promise<string | null> {
    const { repositories: repos, clock } = this.deps;
    for (;;) {
      lease.check();
      const serials = await repos.deviceWrites.pendingAssignment(lease.tokenId, isoNow(clock), MAX_ASSIGN_BATCH);
      if (serials.length === 0) return null;
      const answer = await this.ask(lease, client, profileUuid, serials);
      await this.record(lease, profileUuid, answer, progress);
      if (answer.throttledUntil !== null) return answer.throttledUntil;
    }
  }

  /**
   * Assignment while the devices are still being pulled: each stored page's waiting devices
   * go to Apple while the next page is fetched and written, instead of all of them after.
   */
  stream(lease: HeldLease, client: SyncDepClient, profileUuid: string, progress: { assigned: number }) {
    return new AssignmentStream(
      (serials) => this.ask(lease, client, profileUuid, serials),
      (answer) => this.record(lease, profileUuid, answer, progress),
    );
  }

  /** One call to Apple for at most 1000 devices: each one's outcome, and when to retry if throttled. */
  private async ask(
    lease: HeldLease,
    client: SyncDepClient,
    profileUuid: string,
    serials: readonly string[],
  ): Promise<AssignAnswer> {
    lease.check();
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
    const throttledUntil = throttled
      ? new Date(this.deps.clock.now().getTime() + (result.retryAfterSeconds ?? 60) * 1000).toISOString()
      : null;
    return { outcomes, throttledUntil };
  }

  /** Apple's answer for a batch, stored under the lease. */
  private async record(
    lease: HeldLease,
    profileUuid: string,
    answer: AssignAnswer,
    progress: { assigned: number },
  ): Promise<void> {
    const { clock, options } = this.deps;
    await this.deps.transactor.transaction(async (tx) => {
      const now = clock.now();
      // Fenced without renewing: a renewal would queue behind the page being written meanwhile.
      if (!(await tx.syncStates.holds(lease))) throw new LeaseLostError(lease.tokenId);
      await tx.deviceWrites.recordAssignments(lease.tokenId, answer.outcomes, {
        profileUuid,
        now: now.toISOString(),
        retryAt: new Date(now.getTime() + options.assignRetryMs).toISOString(),
      });
    });
    progress.assigned += answer.outcomes.filter((o) => o.status === 'assigned').length;
  }
}

interface AssignAnswer {
  readonly outcomes: readonly AssignOutcome[];
  /** Apple throttled some of the batch: they stay waiting until then. */
  readonly throttledUntil: string | null;
}

/**
 * Batches handed over while the pull goes on, in two stages: Apple's answer for a batch, then
 * its outcomes stored. A batch goes to Apple once the one before has its answer (one
 * assignment call in flight), and is stored while the next is at Apple; the puller waits when
 * both stages are busy, so at most two batches are ever held. After THROTTLED nothing more is
 * sent; the devices stay waiting for the next run.
 */
export class AssignmentStream {
  private asked: Promise<unknown> = Promise.resolve();
  private stored: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | null = null;
  private throttledUntil: string | null = null;

  constructor(
    private readonly ask: (serials: readonly string[]) => Promise<AssignAnswer>,
    private readonly store: (answer: AssignAnswer) => Promise<void>,
  ) {}

  readonly push = async (serials: readonly string[]): Promise<void> => {
    await this.asked;
    if (this.failure !== null) throw this.failure.error;
    if (serials.length === 0 || this.throttledUntil !== null) return;
    const previous = this.stored;
    const answer = this.ask(serials);
    // A failure or throttling stops the next batch from going to Apple: noted on the answer.
    this.asked = answer.then(
      (answered) => {
        this.throttledUntil ??= answered.throttledUntil;
      },
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
    this.stored = Promise.all([answer, previous])
      .then(([answered]) => this.store(answered))
      .catch((error: unknown) => {
        this.failure ??= { error };
      });
    // At most one batch waiting to be stored behind the one being stored.
    await previous;
  };

  /** Waits for every batch; throws what one threw; says until when Apple throttled. */
  async drain(): Promise<string | null> {
    await this.settled();
    if (this.failure !== null) throw this.failure.error;
    return this.throttledUntil;
  }

  /** Waits for every batch, whatever its outcome (before giving the lease back). */
  async settled(): Promise<void> {
    await this.asked;
    await this.stored;
  }
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
