/**
 * A lease on one token's sync, held in the database so that any number of Orchard
 * processes on one PostgreSQL (or one SQLite file) never sync the same token at once.
 *
 * Claimed with an atomic conditional update (free or expired → ours), renewed in the
 * background while work goes on (Apple may keep a call waiting for minutes of Retry-After),
 * and checked again inside every write transaction: a process that stalled past its lease
 * and lost it to another cannot commit a single stale page. A process that dies simply
 * stops renewing; another takes the token over once the lease has expired.
 */
import type { Clock } from '../domain/clock.js';
import type { Lease, SyncStateRepository } from '../store/repositories/sync-states.js';

export class LeaseLostError extends Error {
  readonly code = 'SYNC_LEASE_LOST';
  constructor(readonly tokenId: string) {
    super(`Another Orchard process took over the sync of ABM token ${tokenId}; this one stopped.`);
    this.name = 'LeaseLostError';
  }
}

/** Orchard is shutting down: the run stops and hands its token back at once. */
export class SyncStoppedError extends Error {
  readonly code = 'SYNC_STOPPED';
  constructor(readonly tokenId: string) {
    super(`The sync of ABM token ${tokenId} stopped because Orchard is shutting down; it continues on the next start.`);
    this.name = 'SyncStoppedError';
  }
}

/** How often a held lease is renewed: every third of its lifetime, so two renewals can fail before it runs out. */
export function renewIntervalMs(ttlMs: number): number {
  return Math.max(250, Math.floor(ttlMs / 3));
}

/**
 * Whether another process's unexpired lease looks worked on, for showing a token's sync as
 * running rather than waiting for the lease to run out. Nothing is fenced on it: the lease
 * itself (claim, renew, commitPage) stays the only guard.
 *
 * A live holder renews every `renewIntervalMs` to now + ttl, so its lease never has less than
 * two thirds of its lifetime left, give or take a slow renewal. A lease last renewed more than
 * one and a half intervals ago (less than half its lifetime left) has missed a renewal: its
 * holder stopped (killed, crashed, cut off from the database), and the token waits until the
 * lease runs out and a scheduler claims it. Until one and a half intervals have passed, a
 * holder that just died cannot be told from a live one.
 *
 * The last renewal is read as `leaseUntil − ttl`, which assumes every instance runs with the
 * same ORCHARD_SYNC_LEASE_SECONDS; with a different one only this display is off, never the
 * fencing.
 */
export function renewedOnSchedule(leaseUntil: string, now: Date, ttlMs: number): boolean {
  const lastRenewal = Date.parse(leaseUntil) - ttlMs;
  return now.getTime() - lastRenewal <= renewIntervalMs(ttlMs) * 1.5;
}

export class HeldLease implements Lease {
  readonly #controller = new AbortController();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly tokenId: string,
    readonly owner: string,
    private readonly states: SyncStateRepository,
    private readonly clock: Clock,
    readonly ttlMs: number,
  ) {}

  /** Aborted when the lease is lost: in-flight Apple calls stop at once. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The expiry to write with each renewal. */
  until(): string {
    return new Date(this.clock.now().getTime() + this.ttlMs).toISOString();
  }

  /** Renews every third of the lease's lifetime until released. */
  startHeartbeat(onError: (error: unknown) => void): void {
    const beat = async () => {
      try {
        const kept = await this.states.renew(this, this.clock.now().toISOString(), this.until());
        if (!kept) this.lose();
      } catch (error) {
        // A database hiccup is not a lost lease; the next beat tries again.
        onError(error);
      }
    };
    this.#timer = setInterval(() => void beat(), renewIntervalMs(this.ttlMs));
    this.#timer.unref();
  }

  lose(): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(new LeaseLostError(this.tokenId));
  }

  /** Stops the work for a shutdown; the runner then releases the lease. */
  stop(): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(new SyncStoppedError(this.tokenId));
  }

  stopHeartbeat(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Throws why the work must stop (lease lost, shutdown), if it must. */
  check(): void {
    this.#controller.signal.throwIfAborted();
  }
}
