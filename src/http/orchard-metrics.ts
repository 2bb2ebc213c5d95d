import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Orchard } from '../app/orchard.js';
import { COMMAND_LINE } from '../domain/principal.js';
import { ABM_TOKEN_STATUSES } from '../domain/abm-token-status.js';
import type { AbmTokenView } from '../domain/abm-tokens.js';

const TOKEN_LABELS = ['token_id', 'customer', 'site', 'mdm_server'] as const;

/**
 * What people alert on from Prometheus: each token's expiry, status and last good sync (read
 * from the database at scrape time, so every process reports the same values: merged across
 * `ORCHARD_PROCESSES` as the first process's, not summed), sync durations, and webhook
 * backlog and failures (counted by the process that did the work, so summed).
 *
 * Example alert: `orchard_abm_token_expiry_timestamp_seconds - time() < 14 * 86400`.
 */
export function registerOrchardMetrics(registry: Registry, orchard: Orchard): void {
  const tokenLabels = (view: AbmTokenView) => ({
    token_id: view.token.id,
    customer: view.token.customerName,
    site: view.token.siteName,
    mdm_server: view.token.state === 'connected' ? view.token.server.name : '',
  });
  let views: Promise<AbmTokenView[]> | undefined;
  // One read of the tokens per scrape, shared by the three gauges that need them.
  const tokens = () => {
    views ??= allTokens(orchard).finally(() => setTimeout(() => (views = undefined), 1000).unref());
    return views;
  };

  new Gauge({
    name: 'orchard_abm_token_expiry_timestamp_seconds',
    help: 'When each connected ABM token expires (Unix time); alert on it minus time()',
    labelNames: TOKEN_LABELS,
    registers: [registry],
    aggregator: 'first',
    async collect() {
      this.reset();
      for (const view of await tokens()) {
        if (view.token.state === 'connected' && view.token.expiresAt !== null) {
          this.set(tokenLabels(view), Date.parse(view.token.expiresAt) / 1000);
        }
      }
    },
  });
  new Gauge({
    name: 'orchard_abm_token_status',
    help: 'Each ABM token’s status: 1 for the status it has, 0 for the others',
    labelNames: [...TOKEN_LABELS, 'status'] as const,
    registers: [registry],
    aggregator: 'first',
    async collect() {
      this.reset();
      for (const view of await tokens()) {
        for (const status of ABM_TOKEN_STATUSES)
          this.set({ ...tokenLabels(view), status }, view.status === status ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'orchard_abm_token_last_sync_success_timestamp_seconds',
    help: 'When each ABM token last synced its devices successfully (Unix time)',
    labelNames: TOKEN_LABELS,
    registers: [registry],
    aggregator: 'first',
    async collect() {
      this.reset();
      for (const view of await tokens()) {
        if (view.token.lastSyncAt !== null) this.set(tokenLabels(view), Date.parse(view.token.lastSyncAt) / 1000);
      }
    },
  });

  const syncs = new Histogram({
    name: 'orchard_sync_duration_seconds',
    help: 'Device sync runs of one token, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
    registers: [registry],
  });
  orchard.sync.onRunEnded((outcome, seconds) => syncs.observe({ outcome }, seconds));

  new Gauge({
    name: 'orchard_webhook_backlog',
    help: 'Webhook work waiting: deliveries not yet sent, and events not yet fanned out',
    labelNames: ['kind'] as const,
    registers: [registry],
    aggregator: 'first',
    async collect() {
      const backlog = await orchard.deliverer.backlog();
      this.set({ kind: 'deliveries' }, backlog.deliveries);
      this.set({ kind: 'events' }, backlog.events);
    },
  });
  const attempts = new Counter({
    name: 'orchard_webhook_delivery_attempts_total',
    help: 'Webhook delivery attempts, by outcome: delivered, failed (retried later), given_up (after a day)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  orchard.deliverer.onAttempt((outcome) => attempts.inc({ outcome }));
}

async function allTokens(orchard: Orchard): Promise<AbmTokenView[]> {
  const out: AbmTokenView[] = [];
  let cursor: string | undefined;
  do {
    const page = await orchard.abmTokens.list(
      COMMAND_LINE,
      {},
      { limit: 500, ...(cursor === undefined ? {} : { cursor }) },
    );
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return out;
}
