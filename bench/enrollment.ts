// Automated Device Enrollment at scale: N simulated devices (default 10,000) enroll against a
// real `orchard serve` (the built command, production mode with the Apple sandbox on) at
// concurrency C (default 50), each through the whole flow: signed MachineInfo → profile,
// SCEP (GetCACert + PKIOperation), Authenticate, TokenUpdate, then the command endpoint
// (Idle → DeviceInformation → DeviceConfigured → released). Prints one JSON object:
// complete enrollments per second, the server's CPU ms per enrollment (utime + stime from
// /proc, by thread), its peak and sampled RSS, per-enrollment latency, failures by reason,
// the simulator's own CPU (so it is visibly not the limit) and what else was using the box.
//
//   npm run build:server
//   npx tsx bench/enrollment.ts --engine sqlite
//   npx tsx bench/enrollment.ts --engine postgres
//   options: --devices N (10000) --concurrency C (50) --clients W (2) --key-pool K (50)
//            --cpu-prof DIR (profile the measured server; the summary covers the phase only)
//
// The simulator runs in W processes of its own (bench/enrollment-client.ts), C/W devices at a
// time each, so that one simulator JS thread is not what limits the rate; each reports its
// event-loop utilization, and their CPU is reported beside the server's.
//
// What is not measured, on purpose:
//   - Apple's side. Everything a device gets from Apple before it reaches the MDM server
//     (its record, its factory identity, activation with the profile URL) is fetched from the
//     sandbox before the measured phase and replayed to the simulator from memory, since the
//     sandbox runs inside the Orchard process. The simulator still takes those steps; they
//     just never reach the server.
//   - Device keys. SCEP keys come from a pool of K RSA 2048 pairs generated once and reused
//     round-robin (devices share keys; the server does not check, and must not care).
//   - Setup. The token, the devices and the sync happen on one server process; the measured
//     phase runs on a fresh process over the same database, so its peak RSS (VmHWM, "since
//     the process started") is start-up plus enrollments only.
//
// PostgreSQL: ORCHARD_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test);
// each run makes its own schema and drops it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { newDeviceKey } from '../src/device-simulator/key-pool.js';
import {
  requestKey,
  type CachedAnswer,
  type ClientMessage,
  type ClientReport,
  type ClientSetup,
} from './enrollment-client.js';
import { summarizeCpuProfile } from './cpu-profile.js';
import { pgBackendCpu, type BackendCpu } from './pg-backends.js';
import { diffThreads, machineCpuMs, peakRssMb, processCpuMs, rssMb, threadCpuMs } from './proc-stats.js';
import { ROOT, freePort, machine, percentile } from './support.js';
import { benchDatabase } from './sync-support.js';

const { values: args } = parseArgs({
  options: {
    engine: { type: 'string', default: 'sqlite' },
    devices: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '50' },
    'key-pool': { type: 'string', default: '50' },
    clients: { type: 'string', default: '2' },
    'request-timeout': { type: 'string', default: '60' },
    'cpu-prof': { type: 'string' },
  },
});
const engine = args.engine === 'postgres' ? 'postgres' : args.engine === 'sqlite' ? 'sqlite' : undefined;
if (engine === undefined) throw new Error(`--engine must be sqlite or postgres (got ${args.engine})`);
const DEVICES = whole('--devices', args.devices);
const CONCURRENCY = whole('--concurrency', args.concurrency);
const KEY_POOL = whole('--key-pool', args['key-pool']);
const CLIENTS = Math.min(whole('--clients', args.clients), whole('--concurrency', args.concurrency));
const REQUEST_TIMEOUT_MS = whole('--request-timeout', args['request-timeout']) * 1000;
const PROFILE_DIR = args['cpu-prof'] === undefined ? undefined : path.resolve(args['cpu-prof']);
/** Sandbox calls before the measured phase, in parallel: the server is the limit either way. */
const PREFETCH_CONCURRENCY = 8;
const DEVICE_CHUNK = 1000;

const log = (line: string) => process.stderr.write(`[enrollment ${engine} ${DEVICES}×${CONCURRENCY}] ${line}\n`);

function whole(flag: string, raw: string | undefined): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a whole number ≥ 1 (got ${raw})`);
  return n;
}

interface Server {
  readonly child: ChildProcess;
  readonly pid: number;
  stop(): Promise<void>;
}

/** `node dist/src/cli/main.js serve` on `port`, ready when /healthz answers. */
async function serve(env: Record<string, string>, port: number, nodeArgs: string[] = []): Promise<Server> {
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'serve'], {
    env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'warn', ...env, PORT: String(port) },
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(100)) {
    if (child.exitCode !== null) throw new Error(`orchard serve exited with ${child.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return { child, pid: child.pid ?? 0, stop };
    } catch {
      // not listening yet
    }
  }
  await stop();
  throw new Error('orchard serve did not start');
}

async function mapLimit<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) await run(items[i] as T);
    }),
  );
}

/** What a device asks Apple before it reaches the MDM server, in the simulator's order and URLs. */
const APPLE_CALLS: ReadonlyArray<readonly [string, string]> = [
  ['GET', ''],
  ['POST', '/identity'],
  ['POST', '/activation'],
];
const appleUrl = (serial: string, suffix: string) =>
  `${sandboxUrl}/abm/api/devices/${encodeURIComponent(serial)}${suffix}`;
const cpuUsageMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const round = (n: number, digits = 0) => Number(n.toFixed(digits));

const database = await benchDatabase(engine);
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const sandboxUrl = `${base}/sandbox`;
const apiKey = database.env['ORCHARD_BOOTSTRAP_API_KEY'] ?? '';
const env: Record<string, string> = {
  ...database.env,
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  ORCHARD_PUBLIC_URL: base,
  ORCHARD_SANDBOX: '1',
  // No scheduled sync or token check may land in the measured phase.
  ORCHARD_SYNC_INTERVAL_MINUTES: '1440',
  ORCHARD_TOKEN_CHECK_MINUTES: '1440',
};
const auth = { authorization: `Bearer ${apiKey}` };

async function call<T>(method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

interface TokenJson {
  id: string;
  status: string;
  deviceCount: number;
  lastSyncAt: string | null;
  lastSyncError: string | null;
  enrollmentCounts: Record<string, number>;
  sync: { state: string };
}
interface Summary {
  total: number;
  byEnrollmentState: Record<string, number>;
  byProfileStatus: Record<string, number>;
}

/** Customer, site, token uploaded from a new sandbox MDM server, N devices assigned and synced. */
async function setUp(): Promise<{ tokenId: string; serials: string[] }> {
  const customer = await call<{ id: string }>('POST', '/api/v1/customers', { name: 'Enrollment bench' });
  const site = await call<{ id: string }>('POST', `/api/v1/customers/${customer.id}/sites`, { name: 'Main' });
  const token = await call<{ id: string }>('POST', '/api/v1/abm-tokens', { customerId: customer.id, siteId: site.id });
  const publicKeyPem = await (
    await fetch(`${base}/api/v1/abm-tokens/${token.id}/public-key`, { headers: auth })
  ).text();
  const server = await call<{ id: string }>('POST', '/sandbox/abm/api/mdm-servers', {
    name: 'Enrollment bench MDM',
    publicKeyPem,
  });
  const file = await fetch(`${sandboxUrl}/abm/api/mdm-servers/${server.id}/token`, { headers: auth });
  const uploaded = await fetch(`${base}/api/v1/abm-tokens/${token.id}/token`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/octet-stream' },
    body: Buffer.from(await file.arrayBuffer()),
  });
  if (!uploaded.ok) throw new Error(`token upload: ${uploaded.status} ${await uploaded.text()}`);

  const serials: string[] = [];
  for (let made = 0; made < DEVICES; made += DEVICE_CHUNK) {
    const chunk = await call<{ serials: string[] }>('POST', '/sandbox/abm/api/devices', {
      count: Math.min(DEVICE_CHUNK, DEVICES - made),
      mdmServerId: server.id,
    });
    serials.push(...chunk.serials);
  }

  // The upload may have started a sync before the devices existed: sync until Orchard has
  // every device with its profile assigned at Apple.
  for (let round = 1; ; round++) {
    const asked = await fetch(`${base}/api/v1/abm-tokens/${token.id}/sync`, { method: 'POST', headers: auth });
    if (asked.status !== 202 && asked.status !== 409) throw new Error(`sync: ${asked.status} ${await asked.text()}`);
    let state: TokenJson;
    do {
      await sleep(500);
      state = await call<TokenJson>('GET', `/api/v1/abm-tokens/${token.id}`);
    } while (state.sync.state !== 'idle' || state.lastSyncAt === null);
    if (state.lastSyncError !== null) throw new Error(`sync failed: ${state.lastSyncError}`);
    const summary = await call<Summary>('GET', `/api/v1/devices/summary?abmTokenId=${token.id}`);
    if (state.deviceCount === DEVICES && summary.byProfileStatus['assigned'] === DEVICES) break;
    if (round === 5) throw new Error(`after 5 syncs: ${state.deviceCount} devices, ${JSON.stringify(summary)}`);
  }
  return { tokenId: token.id, serials };
}

/** Apple's side of every device, fetched as the simulator would, kept for the measured phase. */
async function prefetchApple(serials: readonly string[]): Promise<Map<string, CachedAnswer>> {
  const cache = new Map<string, CachedAnswer>();
  const get = async (method: string, url: string) => {
    const response = await fetch(url, {
      method,
      headers: { ...auth, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
      ...(method === 'POST' ? { body: '{}' } : {}),
    });
    const body = Buffer.from(await response.arrayBuffer());
    if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${body.toString()}`);
    cache.set(requestKey(method, url), {
      status: response.status,
      contentType: response.headers.get('content-type'),
      body,
    });
  };
  let done = 0;
  const started = performance.now();
  await mapLimit(serials, PREFETCH_CONCURRENCY, async (serial) => {
    for (const [method, suffix] of APPLE_CALLS) await get(method, appleUrl(serial, suffix));
    done += 1;
    if (done % 1000 === 0)
      log(`Apple's side fetched for ${done} devices (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  });
  return cache;
}

interface Client {
  readonly child: ChildProcess;
  readonly report: Promise<ClientReport>;
  readonly exited: Promise<void>;
  go(): void;
}

/** A simulator process with its share of the devices, ready when it says so. */
async function startClient(
  setup: ClientSetup,
  nodeArgs: string[],
  onProgress: (done: number, failed: number) => void,
): Promise<Client> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', path.join(ROOT, 'bench', 'enrollment-client.ts')],
    {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    },
  );
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  const report = new Promise<ClientReport>((resolve, reject) => {
    child.on('message', (message: ClientMessage) => {
      if (message.type === 'ready') ready();
      else if (message.type === 'progress') onProgress(message.done, message.failed);
      else resolve(message);
    });
    child.once('exit', (code) => reject(new Error(`enrollment client exited with ${code} before reporting`)));
  });
  report.catch(() => undefined);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.send(setup);
  await Promise.race([isReady, report]);
  return { child, report, exited, go: () => child.send({ type: 'go' }) };
}

let setupServer: Server | undefined;
let measuredServer: Server | undefined;
const clients: Client[] = [];
try {
  // The SCEP keys are made while the server is set up (neither is measured).
  const keysMade = Promise.all(
    Array.from({ length: KEY_POOL }, async () => {
      const pair = await newDeviceKey();
      return {
        privateKeyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      };
    }),
  );
  const t0 = performance.now();
  setupServer = await serve(env, port);
  const { tokenId, serials } = await setUp();
  const syncedSeconds = (performance.now() - t0) / 1000;
  log(`${serials.length} devices synced in ${syncedSeconds.toFixed(1)} s`);
  const t1 = performance.now();
  const apple = await prefetchApple(serials);
  const prefetchSeconds = (performance.now() - t1) / 1000;
  log(`Apple's side fetched in ${prefetchSeconds.toFixed(1)} s`);
  await setupServer.stop();
  setupServer = undefined;

  const keys = await keysMade;
  log(`key pool: ${KEY_POOL} RSA 2048 pairs ready`);

  // With --cpu-prof, a fresh directory per process kind, so each profile is found without guessing.
  if (PROFILE_DIR !== undefined) fs.mkdirSync(PROFILE_DIR, { recursive: true });
  const profileDirs =
    PROFILE_DIR === undefined
      ? undefined
      : {
          server: fs.mkdtempSync(path.join(PROFILE_DIR, 'server-')),
          simulator: fs.mkdtempSync(path.join(PROFILE_DIR, 'simulator-')),
        };
  const profileArgs = (dir: string | undefined) => (dir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', dir]);
  // On PostgreSQL the database's CPU is in its backends, not in Orchard: name the measured
  // process's sessions so their time can be found and reported beside Orchard's.
  const measuredEnv = { ...env };
  let backends: BackendCpu | undefined;
  if (engine === 'postgres') {
    const applicationName = `orchard-bench-${process.pid}`;
    const url = new URL(env['DATABASE_URL'] ?? '');
    url.searchParams.set('application_name', applicationName);
    measuredEnv['DATABASE_URL'] = url.toString();
    backends = await pgBackendCpu(
      process.env['ORCHARD_BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
      applicationName,
    );
  }
  measuredServer = await serve(measuredEnv, port, profileArgs(profileDirs?.server));
  const pid = measuredServer.pid;
  const tokenBefore = await call<TokenJson>('GET', `/api/v1/abm-tokens/${tokenId}`);
  const startupRssMb = rssMb(pid);

  // The simulators, each with an equal share of the devices and of the concurrency.
  const progress = Array.from({ length: CLIENTS }, () => ({ done: 0, failed: 0 }));
  let progressAt = 0;
  const onProgress = (index: number) => (done: number, failed: number) => {
    progress[index] = { done, failed };
    if (performance.now() - progressAt < 10_000) return;
    progressAt = performance.now();
    const total = progress.reduce((a, p) => ({ done: a.done + p.done, failed: a.failed + p.failed }));
    log(
      `${total.done}/${DEVICES} done, ${total.failed} failed, ${((performance.now() - phaseStarted) / 1000).toFixed(0)} s`,
    );
  };
  for (let i = 0; i < CLIENTS; i++) {
    const share = serials.filter((_, n) => n % CLIENTS === i);
    const concurrency = Math.floor(CONCURRENCY / CLIENTS) + (i < CONCURRENCY % CLIENTS ? 1 : 0);
    const shareApple = new Map<string, CachedAnswer>();
    for (const serial of share)
      for (const [method, suffix] of APPLE_CALLS) {
        const key = requestKey(method, appleUrl(serial, suffix));
        const answer = apple.get(key);
        if (answer !== undefined) shareApple.set(key, answer);
      }
    clients.push(
      await startClient(
        {
          type: 'setup',
          serials: share,
          apple: shareApple,
          keys,
          orchardUrl: base,
          sandboxUrl,
          apiKey,
          concurrency,
          requestTimeoutMs: REQUEST_TIMEOUT_MS,
        },
        // One simulator profiled is enough to say where a device's time goes.
        profileArgs(i === 0 ? profileDirs?.simulator : undefined),
        onProgress(i),
      ),
    );
  }
  // Let start-up work settle before the baseline.
  await sleep(1000);

  // The measured phase.
  const rssSamples: number[] = [];
  const sampler = setInterval(() => {
    try {
      rssSamples.push(rssMb(pid));
    } catch {
      // the server is gone; the phase will report it
    }
  }, 250);
  const load1Before = os.loadavg()[0] ?? 0;
  const machineBefore = machineCpuMs();
  const serverCpuBefore = processCpuMs(pid);
  const serverThreadsBefore = threadCpuMs(pid);
  // The simulators report their own CPU (they exit when done); this process's is counted too.
  const benchCpuBefore = cpuUsageMs();
  await backends?.start();
  const fromUs = monotonicUs();
  const phaseStarted = performance.now();
  for (const client of clients) client.go();
  const reports = await Promise.all(clients.map((c) => c.report));
  const wallMs = performance.now() - phaseStarted;
  const toUs = monotonicUs();
  const serverCpuMs = processCpuMs(pid) - serverCpuBefore;
  const serverThreads = diffThreads(threadCpuMs(pid), serverThreadsBefore);
  const clientCpuMs = reports.reduce((sum, r) => sum + r.cpuMs, 0) + cpuUsageMs() - benchCpuBefore;
  const dbCpu = await backends?.stop();
  const machineAfter = machineCpuMs();
  const load1After = os.loadavg()[0] ?? 0;
  clearInterval(sampler);
  const serverPeakRssMb = peakRssMb(pid);

  // What the server recorded, through its API.
  const summary = await call<Summary>('GET', `/api/v1/devices/summary?abmTokenId=${tokenId}`);
  const tokenAfter = await call<TokenJson>('GET', `/api/v1/abm-tokens/${tokenId}`);
  await measuredServer.stop();
  measuredServer = undefined;

  const latencies = reports.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const complete = latencies.length;
  const failureGroups = new Map<string, { count: number; example: string }>();
  for (const f of reports.flatMap((r) => r.failures)) {
    const group = failureGroups.get(f.reason);
    failureGroups.set(f.reason, { count: (group?.count ?? 0) + f.count, example: group?.example ?? f.example });
  }
  const stepNames = [...new Set(reports.flatMap((r) => Object.keys(r.steps)))];
  const machineBusyMs = machineAfter.busy - machineBefore.busy;
  const stealMs = machineAfter.steal - machineBefore.steal;
  const machineTotalMs = machineAfter.total - machineBefore.total;
  const sortedRss = [...rssSamples].sort((a, b) => a - b);
  await Promise.all(clients.map((c) => c.exited));
  const profileOf = (dir: string | undefined) => {
    const file = dir === undefined ? undefined : fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    return dir === undefined || file === undefined
      ? undefined
      : { file: path.join(dir, file), ...summarizeCpuProfile(path.join(dir, file), { fromUs, toUs }) };
  };
  const serverProfile = profileOf(profileDirs?.server);
  const simulatorProfile = profileOf(profileDirs?.simulator);

  const result = {
    benchmark: 'enrollment',
    date: new Date().toISOString(),
    machine: machine(),
    /** The checkout's commit; the server is dist/ as last built from it. */
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(),
    engine,
    devices: DEVICES,
    concurrency: CONCURRENCY,
    simulatorProcesses: CLIENTS,
    keyPool: `${KEY_POOL} RSA 2048 pairs, reused round-robin`,
    setup: {
      syncedSeconds: round(syncedSeconds, 1),
      appleSidePrefetchSeconds: round(prefetchSeconds, 1),
    },
    measured: {
      seconds: round(wallMs / 1000, 1),
      completeEnrollments: complete,
      enrollmentsPerSecond: round(complete / (wallMs / 1000), 1),
      latencyMs: {
        p50: round(percentile(latencies, 50)),
        p99: round(percentile(latencies, 99)),
        max: round(latencies.at(-1) ?? Number.NaN),
      },
      stepMsP50P95: Object.fromEntries(
        stepNames.map((step) => {
          const times = reports.flatMap((r) => r.steps[step] ?? []).sort((a, b) => a - b);
          return [step, [round(percentile(times, 50), 1), round(percentile(times, 95), 1)]];
        }),
      ),
      failures: DEVICES - complete,
      failureReasons: [...failureGroups].map(([reason, g]) => ({ reason, ...g })).sort((a, b) => b.count - a.count),
      appleCallsNotPrefetched: reports.reduce((n, r) => n + r.appleCallsNotPrefetched, 0),
      connectionRetries: reports.reduce((n, r) => n + r.connectionRetries, 0),
    },
    server: {
      cpuMs: round(serverCpuMs),
      cpuMsPerEnrollment: round(serverCpuMs / Math.max(1, complete), 2),
      /** Cores the server kept busy over the phase, on average. */
      cores: round(serverCpuMs / wallMs, 2),
      /** main: the JS thread; node: libuv's pool (async WebCrypto, fs) and V8's helper threads. */
      cpuMsByThread: serverThreads,
      mainThreadMsPerEnrollment: round((serverThreads['main'] ?? 0) / Math.max(1, complete), 2),
      peakRssMb: serverPeakRssMb,
      rssMb: {
        atStart: startupRssMb,
        median: percentile(sortedRss, 50),
        max: sortedRss.at(-1) ?? null,
        samples: sortedRss.length,
      },
    },
    ...(dbCpu === undefined
      ? {}
      : {
          postgresBackends: {
            cpuMs: round(dbCpu.cpuMs),
            cpuMsPerEnrollment: round(dbCpu.cpuMs / Math.max(1, complete), 2),
            cores: round(dbCpu.cpuMs / wallMs, 2),
            backends: dbCpu.backends,
          },
        }),
    simulator: {
      cpuMs: round(clientCpuMs),
      cpuMsPerEnrollment: round(clientCpuMs / Math.max(1, complete), 2),
      cores: round(clientCpuMs / wallMs, 2),
      /** Per simulator process: near 1 means that process's JS thread was the limit. */
      eventLoopUtilization: reports.map((r) => round(r.eventLoopUtilization, 2)),
    },
    machineDuringPhase: {
      cores: os.cpus().length,
      busyCores: round(machineBusyMs / wallMs, 2),
      othersCores: round((machineBusyMs - serverCpuMs - clientCpuMs - (dbCpu?.cpuMs ?? 0)) / wallMs, 2),
      stealCores: round(stealMs / wallMs, 2),
      idleShare: `${(100 * (1 - (machineBusyMs + stealMs) / machineTotalMs)).toFixed(0)} %`,
      loadAverage1m: [round(load1Before, 2), round(load1After, 2)],
    },
    verified: {
      enrolledPerApi: summary.byEnrollmentState['enrolled'] ?? 0,
      byEnrollmentState: Object.fromEntries(Object.entries(summary.byEnrollmentState).filter(([, n]) => n > 0)),
      syncedDuringPhase: tokenAfter.lastSyncAt !== tokenBefore.lastSyncAt,
    },
    ...(serverProfile === undefined ? {} : { serverProfile }),
    ...(simulatorProfile === undefined ? {} : { simulatorProfile }),
  };
  console.log(JSON.stringify(result, null, 2));
  if (result.verified.enrolledPerApi !== DEVICES || result.measured.failures > 0) process.exitCode = 1;
} finally {
  for (const client of clients) if (client.child.exitCode === null) client.child.kill('SIGTERM');
  await setupServer?.stop();
  await measuredServer?.stop();
  await database.drop();
}
