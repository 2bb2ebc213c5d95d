/**
 * `orchard serve` with ORCHARD_PROCESSES above 1: this process forks that many Orchard
 * processes, which share the listening port (Node's cluster hands each new connection to the
 * next one) and the database, and supervises them. Each is a whole instance, the same as one
 * on another machine: it answers the API, syncs the tokens whose lease it wins, and runs the
 * token checks. One Node process answers on one core; a machine with more gets them used.
 *
 * The supervisor itself opens no database and serves nothing: it replaces a process that
 * ends, stops them all on SIGTERM or SIGINT, and merges their metrics for /metrics, which any
 * of them may be asked for.
 */
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { serveProcessMetrics } from '../http/process-metrics.js';

/** What the supervisor sends each process to stop it: it finishes its requests, then exits. */
export const STOP_MESSAGE = 'orchard:stop';

/** A process that ends within this long of its start waits before it is replaced, doubling each time. */
const QUICK_EXIT_MS = 10_000;
const FIRST_RESTART_DELAY_MS = 1000;
const LONGEST_RESTART_DELAY_MS = 30_000;

export interface Supervision {
  /** Resolves once every process has ended after stop() (or a signal). */
  readonly ended: Promise<void>;
  stop(reason: string): void;
}

export function superviseProcesses(count: number, log: Logger): Supervision {
  serveProcessMetrics();
  const startedAt = new Map<number, number>();
  /** Processes that listen: they have their stop handler (serve.ts sets it before listening). */
  const listening = new Set<number>();
  cluster.on('listening', (worker) => listening.add(worker.id));
  let restartDelayMs = FIRST_RESTART_DELAY_MS;
  let stopping = false;
  let endAll!: () => void;
  const ended = new Promise<void>((resolve) => {
    endAll = resolve;
  });

  const start = () => {
    const worker = cluster.fork();
    startedAt.set(worker.id, Date.now());
  };

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    listening.delete(worker.id);
    if (stopping) {
      if (startedAt.size === 0) endAll();
      return;
    }
    // A process that keeps dying at once (a bad setting, the database gone) is not restarted
    // in a tight loop: the delay doubles while they die young and resets once one lives.
    const delayMs = lived < QUICK_EXIT_MS ? restartDelayMs : 0;
    restartDelayMs =
      lived < QUICK_EXIT_MS ? Math.min(restartDelayMs * 2, LONGEST_RESTART_DELAY_MS) : FIRST_RESTART_DELAY_MS;
    log.error(
      `Orchard process ${worker.process.pid} ended (${signal ?? `exit code ${code}`}); starting another${delayMs > 0 ? ` in ${delayMs / 1000} s` : ''}`,
    );
    setTimeout(() => {
      if (!stopping) start();
    }, delayMs);
  });

  for (let i = 0; i < count; i++) start();
  log.info(`started ${count} Orchard processes sharing the port and the database`);

  return {
    ended,
    stop(reason) {
      if (stopping) return;
      stopping = true;
      log.info(`${reason}: stopping the ${startedAt.size} Orchard processes`);
      if (startedAt.size === 0) endAll();
      // Each finishes its in-flight requests and closes its database, as a single process does;
      // one still starting has nothing in flight, and SIGTERM ends it wherever it is.
      for (const worker of Object.values(cluster.workers ?? {})) {
        if (worker === undefined) continue;
        if (listening.has(worker.id) && worker.isConnected()) worker.send(STOP_MESSAGE);
        else worker.process.kill('SIGTERM');
      }
    },
  };
}
