// What a running `orchard serve` says about itself at /metrics (prom-client's default metrics,
// read with ORCHARD_METRICS_TOKEN): its CPU time (process.cpuUsage(), user + system, every
// thread of the process) and its event-loop delay (perf_hooks.monitorEventLoopDelay).
//
// prom-client resets the delay histogram on every scrape, so
// orchard_nodejs_eventloop_lag_max_seconds is the longest delay since the previous scrape:
// scraping every second and keeping the largest value gives the maximum over a window.

export type Metrics = Map<string, number>;

export async function scrapeMetrics(url: string, token: string): Promise<Metrics> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  if (!response.ok) throw new Error(`/metrics: ${response.status} ${text.slice(0, 200)}`);
  const out: Metrics = new Map();
  for (const line of text.split('\n')) {
    // Unlabelled samples only: "name value"; the process and event-loop metrics are unlabelled.
    const match = /^([a-z_]+) ([0-9.e+-]+)$/.exec(line);
    if (match !== null) out.set(match[1] ?? '', Number(match[2]));
  }
  return out;
}

/** The server's CPU seconds (user + system) so far. */
export async function serverCpuSeconds(url: string, token: string): Promise<number> {
  const metrics = await scrapeMetrics(url, token);
  const user = metrics.get('orchard_process_cpu_user_seconds_total');
  const system = metrics.get('orchard_process_cpu_system_seconds_total');
  if (user === undefined || system === undefined) throw new Error('/metrics has no process CPU counters');
  return user + system;
}

/**
 * Scrapes every `everyMs` until stopped; `stop()` scrapes once more and returns the largest
 * event-loop delay seen since start, in ms. The first scrape only resets the histogram.
 */
export async function watchEventLoopDelay(url: string, token: string, everyMs = 1000) {
  const lagMs = async () => {
    const seconds = (await scrapeMetrics(url, token)).get('orchard_nodejs_eventloop_lag_max_seconds');
    if (seconds === undefined) throw new Error('/metrics has no orchard_nodejs_eventloop_lag_max_seconds');
    return seconds * 1000;
  };
  await lagMs();
  let maxMs = 0;
  let failure: unknown;
  const timer = setInterval(() => {
    lagMs().then(
      (ms) => (maxMs = Math.max(maxMs, ms)),
      (error: unknown) => (failure = error),
    );
  }, everyMs);
  return {
    async stop(): Promise<number> {
      clearInterval(timer);
      maxMs = Math.max(maxMs, await lagMs());
      if (failure !== undefined) throw failure;
      return Number(maxMs.toFixed(1));
    },
  };
}
