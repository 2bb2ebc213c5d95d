/**
 * Runs token syncs when they are due: every interval after the last success, sooner when
 * asked (Sync now, a new token, a changed profile), later after failures (backoff). Any
 * number of processes may run a scheduler on one database: each token is claimed with a
 * lease, so it is synced by one process at a time, and one that dies hands its tokens over
 * when the lease expires. One failing token never stops the others.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { isoNow, type Clock } from '../domain/clock.js';
import type { SyncStateRepository } from '../store/repositories/sync-states.js';
import { HeldLease, renewedOnSchedule } from './lease.js';
import type { RunResult, SyncRunner } from './runner.js';

export interface SchedulerOptions {
  /** Tokens this process syncs at the same time. */
  readonly concurrency: number;
  /** How long a claimed token stays ours without renewal. */
  readonly leaseMs: number;
  /** How often the database is asked for due tokens (a request in this process wakes it at once). */
  readonly pollMs: number;
}

const POLL_FAILURE_REMINDER_MS = 60_000;

export type SyncLog = Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;

export interface SchedulerDeps {
  readonly runner: SyncRunner;
  readonly states: SyncStateRepository;
  readonly clock: Clock;
  readonly options: SchedulerOptions;
  readonly log?: SyncLog;
  /** Identifies this process in leases; unique per process. */
  readonly owner?: string;
}

export class SyncScheduler {
  readonly owner: string;
  readonly #running = new Map<string, { lease: HeldLease; done: Promise<RunResult> }>();
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #polling: Promise<void> | undefined;
  #again = false;
  #log: SyncLog | undefined;
  #runEnded: ((outcome: RunResult['outcome'], seconds: number) => void) | undefined;
  /** While polling fails (the database is down): since when, and when it was last logged. */
  #pollFailure: { since: number; loggedAt: number } | undefined;

  constructor(private readonly deps: SchedulerDeps) {
    this.owner = deps.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.#log = deps.log;
  }

  start(log?: SyncLog): void {
    if (log !== undefined) this.#log = log;
    if (this.#started) return;
    this.#started = true;
    this.schedule(0);
  }

  /** Stops polling, stops the runs in progress (they hand their tokens back) and waits for them. */
  async stop(): Promise<void> {
    this.#started = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#polling;
    for (const { lease } of this.#running.values()) lease.stop();
    await Promise.allSettled([...this.#running.values()].map((r) => r.done));
  }

  /** Something became due in this process: look now rather than at the next poll. */
  wake(): void {
    if (this.#started) this.schedule(0);
  }

  /** One look for due tokens; claims as many as there are free slots and starts them. */
  async poll(): Promise<string[]> {
    if (this.#polling !== undefined) {
      this.#again = true;
      await this.#polling;
      return [];
    }
    let claimed: string[] = [];
    this.#polling = (async () => {
      const now = isoNow(this.deps.clock);
      await this.deps.states.ensureForConnectedTokens(now);
      const free = this.deps.options.concurrency - this.#running.size;
      if (free <= 0) return;
      claimed = await this.deps.states.claimDue(this.owner, now, this.leaseUntil(), free);
      for (const tokenId of claimed) this.launch(tokenId);
    })().finally(() => {
      this.#polling = undefined;
    });
    await this.#polling;
    if (this.#again) {
      this.#again = false;
      claimed.push(...(await this.poll()));
    }
    return claimed;
  }

  /** Polls and waits until every run it started (and those they make due) has finished: for tests and tools. */
  async runUntilIdle(maxRounds = 20): Promise<RunResult[]> {
    const results: RunResult[] = [];
    for (let round = 0; round < maxRounds; round++) {
      await this.poll();
      if (this.#running.size === 0) return results;
      results.push(...(await Promise.all([...this.#running.values()].map((r) => r.done))));
    }
    return results;
  }

  /**
   * Claims one token whatever its schedule and runs it to the end (tests, tools). 'busy'
   * when another process, or this one, holds it.
   */
  async runNow(tokenId: string): Promise<RunResult | 'busy'> {
    if (this.#running.has(tokenId)) return 'busy';
    const now = isoNow(this.deps.clock);
    if (!(await this.deps.states.claim(tokenId, this.owner, now, this.leaseUntil()))) return 'busy';
    this.launch(tokenId);
    return (await this.#running.get(tokenId)?.done) ?? 'busy';
  }

  /** Token ids being synced by this process now. */
  get running(): string[] {
    return [...this.#running.keys()];
  }

  /**
   * Whether an unexpired lease is being worked on: one of this process's only while this
   * process runs that token (a lease it no longer runs was left behind), another process's
   * while that process renews it on schedule (lease.ts, renewedOnSchedule). A restarted
   * process has a new owner id, so what its predecessor left is judged by its renewals.
   */
  isLeaseWorkedOn(lease: { tokenId: string; owner: string; until: string }, now: Date): boolean {
    if (lease.owner === this.owner) return this.#running.has(lease.tokenId);
    return renewedOnSchedule(lease.until, now, this.deps.options.leaseMs);
  }

  /** Told of every run that ends in this process, with its outcome and length (the metrics). */
  onRunEnded(listener: (outcome: RunResult['outcome'], seconds: number) => void): void {
    this.#runEnded = listener;
  }

  private launch(tokenId: string): void {
    const started = performance.now();
    const lease = new HeldLease(tokenId, this.owner, this.deps.states, this.deps.clock, this.deps.options.leaseMs);
    lease.startHeartbeat((error) => this.#log?.warn({ err: error, abmTokenId: tokenId }, 'sync lease renewal failed'));
    const done = this.deps.runner
      .run(lease)
      .catch((error: unknown): RunResult => {
        // The runner records Apple's failures itself; this is the database failing under it.
        this.#log?.error({ err: error, abmTokenId: tokenId }, 'device sync crashed');
        return { outcome: 'failed', error };
      })
      .then((result) => {
        this.report(tokenId, result);
        this.#runEnded?.(result.outcome, (performance.now() - started) / 1000);
        return result;
      })
      .finally(() => {
        lease.stopHeartbeat();
        this.#running.delete(tokenId);
        // A slot is free: another due token may be waiting.
        this.wake();
      });
    this.#running.set(tokenId, { lease, done });
  }

  private report(tokenId: string, result: RunResult): void {
    const log = this.#log;
    if (log === undefined) return;
    if (result.outcome === 'synced') {
      log.info(
        { abmTokenId: tokenId, pages: result.pages, devices: result.devices, assigned: result.assigned },
        'devices synced',
      );
    } else if (result.outcome === 'failed') {
      log.warn({ err: result.error, abmTokenId: tokenId }, 'device sync failed; retrying later');
    } else if (result.outcome === 'lost') {
      log.warn({ abmTokenId: tokenId }, 'another Orchard process took over this token’s sync');
    }
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.poll()
        .then(() => this.pollRecovered())
        .catch((error: unknown) => this.pollFailed(error))
        .finally(() => {
          if (this.#started && this.#timer === undefined) this.schedule(this.deps.options.pollMs);
        });
    }, delayMs);
    this.#timer.unref();
  }

  /**
   * A database that is down fails every poll, every pollMs: log the first failure, then at
   * most one reminder a minute, and the recovery, instead of an error line every few seconds.
   */
  private pollFailed(error: unknown): void {
    const now = performance.now();
    if (this.#pollFailure === undefined) {
      this.#pollFailure = { since: now, loggedAt: now };
      this.#log?.error({ err: error }, 'looking for due syncs failed; retrying quietly until it works');
    } else if (now - this.#pollFailure.loggedAt >= POLL_FAILURE_REMINDER_MS) {
      this.#pollFailure.loggedAt = now;
      const failingForSeconds = Math.round((now - this.#pollFailure.since) / 1000);
      this.#log?.error({ err: error, failingForSeconds }, 'looking for due syncs still fails');
    }
  }

  private pollRecovered(): void {
    if (this.#pollFailure === undefined) return;
    const failedForSeconds = Math.round((performance.now() - this.#pollFailure.since) / 1000);
    this.#pollFailure = undefined;
    this.#log?.info({ failedForSeconds }, 'looking for due syncs works again');
  }

  private leaseUntil(): string {
    return new Date(this.deps.clock.now().getTime() + this.deps.options.leaseMs).toISOString();
  }
}
