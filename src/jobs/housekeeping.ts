import type { FastifyBaseLogger } from 'fastify';
import type { AccountService } from '../domain/accounts.js';

export interface HousekeepingOptions {
  readonly intervalMs: number;
  readonly log: FastifyBaseLogger;
}

/**
 * Deletes rows that have stopped meaning anything (expired sessions, forgotten sign-in
 * throttle counts), so tables that every visitor can add to do not grow for ever. Each
 * instance runs it on its own clock; the deletes are idempotent, so overlap costs nothing.
 */
export class Housekeeping {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly accounts: AccountService,
    private readonly options: HousekeepingOptions,
  ) {}

  start(): void {
    // A random first delay spreads instances that start together.
    this.schedule(Math.floor(Math.random() * Math.min(this.options.intervalMs, 60_000)));
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  async runOnce(): Promise<void> {
    const purged = await this.accounts.purgeStale();
    if (purged.sessions + purged.throttleRows > 0) this.options.log.info(purged, 'housekeeping: stale rows deleted');
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        // A database that is down is reported by the requests and the sync; say it once here at debug.
        .catch((error: unknown) => this.options.log.debug({ err: error }, 'housekeeping pass failed'))
        .finally(() => {
          this.running = undefined;
          if (this.timer !== undefined) this.schedule(this.options.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }
}
