// One simulator process for bench/enrollment.ts: it receives its share of the devices (with
// Apple's side already fetched), the pre-generated SCEP keys and its concurrency over IPC,
// waits for "go", enrolls them with Orchard's device simulator, and sends back what it saw.
// Several of these run at once so that the simulator's single JS thread is not what limits
// the rate (each process reports its event-loop utilization).
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { EnrollmentResult } from '../src/device-simulator/enroll.js';
import { enrollFleet } from '../src/device-simulator/fleet.js';
import type { Fetch } from '../src/device-simulator/http.js';
import type { KeySource } from '../src/device-simulator/key-pool.js';

export interface CachedAnswer {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: Uint8Array;
}

export interface ClientSetup {
  readonly type: 'setup';
  readonly serials: string[];
  /** "METHOD url" → the sandbox's answer, for every Apple call these devices make. */
  readonly apple: Map<string, CachedAnswer>;
  readonly keys: Array<{ privateKeyPem: string; publicKeyPem: string }>;
  readonly orchardUrl: string;
  readonly sandboxUrl: string;
  readonly apiKey: string;
  readonly concurrency: number;
  readonly requestTimeoutMs: number;
}

export interface ClientReport {
  readonly type: 'done';
  /** Per complete enrollment, ms from the first step to release. */
  readonly latencies: number[];
  /** Per MDM step, ms, over complete enrollments. */
  readonly steps: Record<string, number[]>;
  readonly failures: Array<{ reason: string; count: number; example: string }>;
  readonly appleCallsNotPrefetched: number;
  /** Requests the simulator sent again after the server closed a kept-alive connection under them. */
  readonly connectionRetries: number;
  readonly wallMs: number;
  /** This process's CPU (every thread) from "go" to its last device. */
  readonly cpuMs: number;
  readonly eventLoopUtilization: number;
}

export type ClientMessage = ClientReport | { type: 'ready' } | { type: 'progress'; done: number; failed: number };

export const requestKey = (method: string, url: string) => `${method} ${url}`;

/** The step names whose requests go to Apple (the sandbox), answered from memory here. */
export const APPLE_STEPS = new Set(['lookup', 'identity', 'activation']);

/**
 * The simulator's fetch: Apple's answers from memory (a sandbox URL not fetched beforehand is an
 * error, counted, never a quiet call into the measured server), Orchard over the network.
 */
export function simulatorFetch(
  apple: Map<string, CachedAnswer>,
  sandboxUrl: string,
  counts: { misses: number },
): Fetch {
  const prefix = `${sandboxUrl}/`;
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(prefix)) return fetch(input, init);
    const hit = apple.get(requestKey(init?.method ?? 'GET', url));
    if (hit === undefined) {
      counts.misses += 1;
      throw new TypeError(`${url} was not fetched before the measured phase`);
    }
    return new Response(hit.body, {
      status: hit.status,
      headers: hit.contentType === null ? {} : { 'content-type': hit.contentType },
    });
  };
}

function keySource(keys: ClientSetup['keys']): KeySource {
  const pairs = keys.map((k) => ({
    privateKey: createPrivateKey(k.privateKeyPem),
    publicKey: createPublicKey(k.publicKeyPem),
  }));
  let next = 0;
  return {
    next: async () => {
      const pair = pairs[next % pairs.length];
      next += 1;
      if (pair === undefined) throw new RangeError('no keys');
      return pair;
    },
  };
}

/** Complete: released from Setup Assistant with DeviceInformation and DeviceConfigured acknowledged. */
function incomplete(result: EnrollmentResult & { ok: true }): string | undefined {
  const answered = new Map(result.commands.map((c) => [c.requestType, c.answered]));
  for (const type of ['DeviceInformation', 'DeviceConfigured'])
    if (answered.get(type) !== 'Acknowledged') return `${type} ${answered.get(type) ?? 'never received'}`;
  return result.released ? undefined : 'not released from Setup Assistant';
}

async function run(setup: ClientSetup): Promise<ClientReport> {
  const counts = { misses: 0 };
  let retries = 0;
  const latencies: number[] = [];
  const steps: Record<string, number[]> = {};
  const incompleteReasons = new Map<string, number>();
  let done = 0;
  let failed = 0;
  const keys = keySource(setup.keys);
  process.send?.({ type: 'ready' } satisfies ClientMessage);
  await new Promise<void>((resolve) => process.once('message', () => resolve()));

  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const fleet = await enrollFleet(setup.serials, {
    orchardUrl: setup.orchardUrl,
    sandboxUrl: setup.sandboxUrl,
    apiKey: setup.apiKey,
    keyPool: keys,
    fetch: simulatorFetch(setup.apple, setup.sandboxUrl, counts),
    concurrency: setup.concurrency,
    requestTimeoutMs: setup.requestTimeoutMs,
    onResult: (result) => {
      done += 1;
      retries += result.connectionRetries;
      if (result.ok) {
        const why = incomplete(result);
        if (why === undefined) {
          latencies.push(result.totalMs);
          for (const s of result.steps) if (!APPLE_STEPS.has(s.step)) (steps[s.step] ??= []).push(s.ms);
        } else {
          failed += 1;
          incompleteReasons.set(why, (incompleteReasons.get(why) ?? 0) + 1);
        }
      } else failed += 1;
      if (done % 100 === 0) process.send?.({ type: 'progress', done, failed } satisfies ClientMessage);
    },
  });
  return {
    type: 'done',
    latencies,
    steps,
    failures: [
      ...fleet.failures.map((g) => ({ reason: g.reason, count: g.count, example: g.example.message })),
      ...[...incompleteReasons].map(([reason, count]) => ({ reason: `incomplete: ${reason}`, count, example: '' })),
    ],
    appleCallsNotPrefetched: counts.misses,
    connectionRetries: retries,
    wallMs: performance.now() - started,
    cpuMs: (() => {
      const used = process.cpuUsage(cpu);
      return (used.user + used.system) / 1000;
    })(),
    eventLoopUtilization: performance.eventLoopUtilization(elu).utilization,
  };
}

if (process.send !== undefined && process.argv[1]?.endsWith('enrollment-client.ts')) {
  process.once('message', (setup: ClientSetup) => {
    run(setup).then(
      (report) => process.send?.(report, () => process.disconnect()),
      (error: unknown) => {
        process.stderr.write(`enrollment client: ${error instanceof Error ? error.stack : String(error)}\n`);
        process.exit(1);
      },
    );
  });
}
