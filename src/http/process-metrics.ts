/**
 * /metrics when `orchard serve` runs several processes (cli/processes.ts): Prometheus scrapes
 * one port, whichever process answers, and must see all of them. The process asked sends the
 * supervisor a request over the cluster's IPC channel; the supervisor has prom-client collect
 * every process's registry and merge them (counters and histograms summed, gauges as
 * prom-client's defaults say), and sends the text back.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const METRICS_REQUEST = 'orchard:metrics-request';
const METRICS_REPLY = 'orchard:metrics-reply';
type MetricsRequest = { readonly type: typeof METRICS_REQUEST; readonly id: number };
type MetricsReply =
  | { readonly type: typeof METRICS_REPLY; readonly id: number; readonly text: string; readonly contentType: string }
  | { readonly type: typeof METRICS_REPLY; readonly id: number; readonly error: string };

/** How long a process waits for the supervisor's merged metrics. */
const REPLY_WITHIN_MS = 10_000;

/**
 * Under `orchard serve` with ORCHARD_PROCESSES above 1 (cli/processes.ts): this process's
 * registry answers the supervisor's collection. Installed once per process (prom-client keeps
 * one list of registries for it); the app that serves is the last one registered.
 */
export function joinProcessMetrics(registry: Registry): void {
  // Constructing it installs prom-client's listener for the supervisor's requests.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}

let nextMetricsRequest = 1;

/** Asks the supervisor for every process's metrics, merged; an error after 10 s without an answer. */
export function metricsOfAllProcesses(): Promise<{ text: string; contentType: string } | { error: string }> {
  const id = nextMetricsRequest++;
  return new Promise((resolve) => {
    const onMessage = (message: unknown) => {
      if (typeof message !== 'object' || message === null) return;
      const reply = message as Partial<MetricsReply>;
      if (reply.type !== METRICS_REPLY || reply.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve(reply as MetricsReply);
    };
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      resolve({ error: `the supervisor did not answer within ${REPLY_WITHIN_MS / 1000} s` });
    }, REPLY_WITHIN_MS);
    process.on('message', onMessage);
    process.send?.({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
  });
}

/** The supervisor's side: answers a process's request with every process's metrics, merged. */
export function serveProcessMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isMetricsRequest(message)) return;
    void aggregator
      .clusterMetrics()
      .then(
        (text): MetricsReply => ({ type: METRICS_REPLY, id: message.id, text, contentType: aggregator.contentType }),
        (error: unknown): MetricsReply => ({
          type: METRICS_REPLY,
          id: message.id,
          error: error instanceof Error ? error.message : String(error),
        }),
      )
      .then((reply) => {
        if (worker.isConnected()) worker.send(reply);
      });
  });
}

function isMetricsRequest(message: unknown): message is MetricsRequest {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === METRICS_REQUEST &&
    typeof (message as { id?: unknown }).id === 'number'
  );
}
