// The CPU PostgreSQL spends for one Orchard process: its backends are found by the
// application_name the process connects with, and their utime + stime read from /proc (the
// database runs on the same host). A backend that ends between two samples loses at most one
// interval of its time; one that starts mid-phase counts from zero.
import pg from 'pg';
import { processCpuMs } from './proc-stats.js';

export interface BackendCpu {
  /** Starts counting from now: backends already open count from their current time. */
  start(): Promise<void>;
  /** Stops sampling and answers the ms the backends spent since start(), and how many there were. */
  stop(): Promise<{ cpuMs: number; backends: number }>;
}

export async function pgBackendCpu(adminUrl: string, applicationName: string, intervalMs = 1000): Promise<BackendCpu> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  const baseline = new Map<number, number>();
  const latest = new Map<number, number>();
  let started = false;
  const sample = async () => {
    const { rows } = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where application_name = $1',
      [applicationName],
    );
    for (const { pid } of rows) {
      let ms: number;
      try {
        ms = processCpuMs(pid);
      } catch {
        continue; // ended since the query
      }
      if (!baseline.has(pid)) baseline.set(pid, started ? 0 : ms);
      latest.set(pid, ms);
    }
  };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  return {
    start: async () => {
      await sample();
      started = true;
      timer = setInterval(() => {
        running = running.then(sample).catch(() => undefined);
      }, intervalMs);
    },
    stop: async () => {
      clearInterval(timer);
      await running;
      await sample();
      await client.end();
      let cpuMs = 0;
      for (const [pid, ms] of latest) cpuMs += ms - (baseline.get(pid) ?? 0);
      return { cpuMs, backends: latest.size };
    },
  };
}
