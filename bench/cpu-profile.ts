// Reads a V8 `.cpuprofile` (node --cpu-prof) and says where the JS main thread's time went
// inside a time window: by the job the code was doing (the nearest frame on the stack that
// names one: CMS verify, certificate issuing, plist, the database…), by the package or
// Orchard file the time was spent in (self time), and by the nearest Orchard function.
//
// V8 timestamps are CLOCK_MONOTONIC microseconds, the clock `process.hrtime` reads, so a
// window measured by the bench process selects the same stretch of the profiled process.
// Only the main thread is sampled: work Node hands to libuv's pool (async WebCrypto sign and
// verify, for one) is not in the profile; /proc's per-thread times show it.
import fs from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Main-thread milliseconds sampled busy in the window (idle samples left out). */
  readonly busyMs: number;
  readonly idleMs: number;
  readonly byJob: Array<{ job: string; ms: number; share: string }>;
  readonly bySelf: Array<{ where: string; ms: number; share: string }>;
  readonly byOrchardFunction: Array<{ where: string; ms: number; share: string }>;
}

/** `src/…` without extension for Orchard's own code, run built (dist/src/….js) or by tsx (src/….ts). */
function orchardFile(url: string): string | undefined {
  if (url.includes('/node_modules/')) return undefined;
  return /\/(?:dist\/)?(src\/.+)\.[jt]s$/.exec(url)?.[1];
}

function packageOf(url: string): string | undefined {
  return /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
}

// Nearest frame first: the first rule a frame on the stack (leaf to root) matches names the job.
// Generic libraries (asn1js, pkijs, node:crypto) match nothing, so their time goes to the
// Orchard code that called them.
const ORCHARD_JOBS: Array<[RegExp, string]> = [
  [/^src\/mdm\/pki\/cms-verify$/, 'CMS verify (MachineInfo, Mdm-Signature, SCEP request)'],
  [/^src\/mdm\/pki\/trust$/, 'certificate chain checks'],
  [/^src\/mdm\/pki\/cms-sign$/, 'CMS sign (profile, CertRep, check-ins)'],
  [/^src\/mdm\/pki\/identity$/, 'certificate issuing'],
  [/^src\/mdm\/scep\/envelope$/, 'SCEP envelope (decrypt request, encrypt reply)'],
  [/^src\/mdm\/scep\//, 'SCEP codec (pkiMessage, CSR, CertRep)'],
  [/^src\/mdm\/plist/, 'plist'],
  [/^src\/store\//, 'database'],
  [/^src\/security\/secret-box$|^src\/domain\/secrets$/, 'secret box'],
  [/^src\//, 'Orchard, other'],
];
const PACKAGE_JOBS: Array<[RegExp, string]> = [
  [/^(plist|@xmldom\/xmldom|xmlbuilder)$/, 'plist'],
  [/^(better-sqlite3|pg|pg-protocol|pg-pool|kysely)$/, 'database'],
  [
    /^(fastify|@fastify\/.+|avvio|find-my-way|light-my-request|fast-json-stringify|ajv|pino|sonic-boom)$/,
    'HTTP framework + logging',
  ],
];

function jobOf(frame: CallFrame): string | undefined {
  if (frame.functionName === '(garbage collector)') return 'garbage collector';
  if (frame.functionName === '(program)') return 'native, outside JS (program)';
  const file = orchardFile(frame.url);
  if (file !== undefined) return ORCHARD_JOBS.find(([pattern]) => pattern.test(file))?.[1];
  const pkg = packageOf(frame.url);
  if (pkg !== undefined) return PACKAGE_JOBS.find(([pattern]) => pattern.test(pkg))?.[1];
  if (/^node:(_http|http|net|internal\/(http|streams|stream_base|deps\/undici))/.test(frame.url)) return 'HTTP (Node)';
  return undefined;
}

function selfPlace(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : `native ${functionName || '(anonymous)'}`;
  const place = packageOf(url) ?? orchardFile(url);
  if (place !== undefined) return place;
  if (url.startsWith('node:'))
    return url
      .replace(/^node:(internal\/)?/, 'node:')
      .split('/')
      .slice(0, 2)
      .join('/');
  return url;
}

function rows<K extends string>(map: Map<string, number>, total: number, key: K, top: number) {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(
      ([name, us]) =>
        ({ [key]: name, ms: Math.round(us / 1000), share: `${((100 * us) / total).toFixed(1)} %` }) as {
          [P in K]: string;
        } & { ms: number; share: string },
    );
}

/** Summarizes samples whose time falls in [fromUs, toUs] (monotonic µs); the whole profile without a window. */
export function summarizeCpuProfile(file: string, window?: { fromUs: number; toUs: number }, top = 12): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const jobCache = new Map<number, string>();
  const orchardCache = new Map<number, string>();
  const walk = (id: number, pick: (frame: CallFrame) => string | undefined, fallback: string): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      const found = node === undefined ? undefined : pick(node.callFrame);
      if (found !== undefined) return found;
    }
    return fallback;
  };

  const byJob = new Map<string, number>();
  const bySelf = new Map<string, number>();
  const byOrchard = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one (how DevTools weighs them).
    const weight = profile.timeDeltas[i + 1] ?? 0;
    if (window !== undefined && (t < window.fromUs || t > window.toUs)) continue;
    const id = profile.samples[i] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    if (frame.functionName === '(idle)') {
      idle += weight;
      continue;
    }
    busy += weight;
    let job = jobCache.get(id);
    if (job === undefined) {
      job = walk(id, jobOf, 'other (Node internals, libraries outside an Orchard call)');
      jobCache.set(id, job);
    }
    byJob.set(job, (byJob.get(job) ?? 0) + weight);
    const self = selfPlace(frame);
    bySelf.set(self, (bySelf.get(self) ?? 0) + weight);
    let orchard = orchardCache.get(id);
    if (orchard === undefined) {
      orchard = walk(
        id,
        (f) => {
          const file = orchardFile(f.url);
          return file === undefined ? undefined : `${file} ${f.functionName || '(anonymous)'}`;
        },
        '(no Orchard frame)',
      );
      orchardCache.set(id, orchard);
    }
    byOrchard.set(orchard, (byOrchard.get(orchard) ?? 0) + weight);
  }
  return {
    busyMs: Math.round(busy / 1000),
    idleMs: Math.round(idle / 1000),
    byJob: rows(byJob, busy, 'job', top),
    bySelf: rows(bySelf, busy, 'where', top),
    byOrchardFunction: rows(byOrchard, busy, 'where', top),
  };
}

// Standalone: npx tsx bench/cpu-profile.ts <file.cpuprofile> [fromUs toUs]
if (process.argv[1]?.endsWith('cpu-profile.ts')) {
  const [file, from, to] = process.argv.slice(2);
  if (file === undefined) throw new Error('usage: cpu-profile.ts <file.cpuprofile> [fromUs toUs]');
  const window = from !== undefined && to !== undefined ? { fromUs: Number(from), toUs: Number(to) } : undefined;
  console.log(JSON.stringify(summarizeCpuProfile(file, window), null, 2));
}
