import type { FastifyBaseLogger } from 'fastify';
import type { AbmTokenService } from '../domain/abm-tokens.js';
import { PeriodicJob } from './periodic.js';

export interface TokenHealthOptions {
  readonly intervalMs: number;
  readonly log: FastifyBaseLogger;
}

/**
 * Asks Apple about every connected token now and then, so a token whose terms lapsed or
 * that was revoked in ABM shows it before a technician wonders why devices stopped
 * arriving. One failing token never stops the others. With several instances each checks
 * on its own clock; `/account` is cheap and idempotent, so the overlap costs little.
 */
export class TokenHealthMonitor {
  private readonly job: PeriodicJob;
  private stopping = false;

  constructor(
    private readonly tokens: AbmTokenService,
    private readonly options: TokenHealthOptions,
  ) {
    this.job = new PeriodicJob(
      options.intervalMs,
      () => this.checkAll(),
      (error) => options.log.error({ err: error }, 'ABM token health pass failed'),
    );
  }

  start(): void {
    this.job.start();
  }

  async stop(): Promise<void> {
    // A pass over many tokens Apple does not answer for takes minutes; shutdown should not.
    this.stopping = true;
    await this.job.stop();
  }

  /** One pass over all connected tokens. */
  async checkAll(): Promise<void> {
    for (const id of await this.tokens.connectedTokenIds()) {
      if (this.stopping) return;
      try {
        const view = await this.tokens.checkWithApple(id);
        if (view.status !== 'active' && view.status !== 'expiring_soon') {
          this.options.log.warn({ abmTokenId: id, status: view.status }, 'ABM token needs attention');
        }
      } catch (error) {
        this.options.log.error({ err: error, abmTokenId: id }, 'ABM token health check failed');
      }
    }
  }
}
