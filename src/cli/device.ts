/**
 * `orchard device enroll`: the device simulator. One serial, printing each step as the device
 * takes it, or every assigned, not yet enrolled device of a token with a progress bar and a
 * summary. Talks HTTP only: to the sandbox (as Apple) and to Orchard's MDM endpoints.
 */
import type { Command } from 'commander';
import { ConfigError } from '../config/config.js';
import { enrollDevice, type EnrollmentResult, type StepRecord } from '../device-simulator/enroll.js';
import type { ServerAnswer } from '../device-simulator/errors.js';
import {
  FleetListError,
  enrollFleet,
  pendingSerials,
  type FleetProgress,
  type FleetSummary,
} from '../device-simulator/fleet.js';
import { KeyPool, type KeySource } from '../device-simulator/key-pool.js';

interface EnrollOptions {
  serial?: string;
  all?: boolean;
  token?: string;
  concurrency: string;
  orchard?: string;
  sandbox?: string;
  apiKey?: string;
  keyPool?: string;
  timeout: string;
}

export function deviceCommands(device: Command): void {
  device
    .command('enroll')
    .description(
      'enroll simulated devices the way an Apple device does at Setup Assistant: identity and ' +
        'profile from the sandbox (as Apple), signed MachineInfo, SCEP, check-in, commands',
    )
    .option('--serial <serial>', 'the device to enroll (assigned to a token’s MDM server in the sandbox)')
    .option('--all', 'every assigned device of --token that is not enrolled yet')
    .option('--token <id>', 'with --all: the Orchard ABM token whose devices to enroll')
    .option('--concurrency <n>', 'with --all: devices enrolling at the same time', '10')
    .option('--orchard <url>', 'Orchard’s URL (default: ORCHARD_PUBLIC_URL, else http://localhost:$PORT)')
    .option('--sandbox <url>', 'the Apple sandbox’s base URL (default: <orchard>/sandbox)')
    .option('--api-key <key>', 'Orchard API key for the sandbox portal and the device list (default: ORCHARD_API_KEY)')
    .option(
      '--key-pool <n>',
      'draw SCEP keys from N RSA 2048 key pairs generated once and reused round-robin (for benchmarks; ' +
        'devices then share keys), instead of a fresh key per device as real devices make',
    )
    .option('--timeout <seconds>', 'how long a device polls for DeviceConfigured before giving up', '60')
    .action(async (options: EnrollOptions) => {
      process.exitCode = await enroll(options);
    });
}

async function enroll(options: EnrollOptions): Promise<number> {
  const env = process.env;
  const orchardUrl = trimSlash(
    options.orchard ?? env['ORCHARD_PUBLIC_URL'] ?? `http://localhost:${env['PORT'] ?? '8080'}`,
  );
  checkUrl('--orchard', orchardUrl);
  const sandboxUrl = trimSlash(options.sandbox ?? `${orchardUrl}/sandbox`);
  checkUrl('--sandbox', sandboxUrl);
  const apiKey = options.apiKey ?? env['ORCHARD_API_KEY'];
  const pollTimeoutMs = whole('--timeout', options.timeout, 1, 3600) * 1000;
  if ((options.serial === undefined) === (options.all !== true))
    throw new ConfigError('--serial', 'or --all --token ID: give exactly one');

  let keyPool: KeySource | undefined;
  if (options.keyPool !== undefined) {
    const size = whole('--key-pool', options.keyPool, 1, 100_000);
    const t0 = Date.now();
    keyPool = await KeyPool.generate(size);
    process.stderr.write(
      `key pool: ${size} RSA 2048 key pair${size === 1 ? '' : 's'} generated in ${Date.now() - t0} ms, reused round-robin (devices share keys)\n`,
    );
  }
  const common = {
    orchardUrl,
    sandboxUrl,
    pollTimeoutMs,
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(keyPool === undefined ? {} : { keyPool }),
  };

  if (options.serial !== undefined) {
    process.stdout.write(`enrolling ${options.serial.toUpperCase()} against ${orchardUrl} (Apple: ${sandboxUrl})\n`);
    const result = await enrollDevice({ ...common, serial: options.serial, onStep: printStep });
    printResult(result);
    return result.ok ? 0 : 1;
  }

  if (options.token === undefined) throw new ConfigError('--token', 'is needed with --all');
  if (apiKey === undefined)
    throw new ConfigError('--api-key', '(or ORCHARD_API_KEY) is needed with --all to list the token’s devices');
  const concurrency = whole('--concurrency', options.concurrency, 1, 1000);
  let serials: string[];
  try {
    serials = await pendingSerials({ orchardUrl, apiKey, tokenId: options.token });
  } catch (error) {
    if (!(error instanceof FleetListError)) throw error;
    process.stderr.write(`orchard: cannot list the devices of token ${options.token}: ${error.message}\n`);
    return 1;
  }
  process.stdout.write(
    `enrolling ${serials.length} device${serials.length === 1 ? '' : 's'} of token ${options.token} ` +
      `(${concurrency} at a time) against ${orchardUrl}\n`,
  );
  if (serials.length === 0) return 0;
  const progress = progressReporter(serials.length);
  const cpuBefore = process.cpuUsage();
  const summary = await enrollFleet(serials, { ...common, concurrency, onProgress: progress.update });
  const cpu = process.cpuUsage(cpuBefore);
  progress.finish();
  printSummary(summary);
  // The simulator's own CPU, so a benchmark can tell whether the device side was the limit.
  process.stdout.write(
    `simulator CPU: ${formatMs((cpu.user + cpu.system) / 1000)} (${((cpu.user + cpu.system) / 1000 / Math.max(1, summary.total)).toFixed(1)} ms per device)\n`,
  );
  return summary.failed === 0 ? 0 : 1;
}

function printStep(r: StepRecord): void {
  const mark = r.ok ? '✓' : '✗';
  process.stdout.write(`  ${mark} ${r.step.padEnd(12)} ${formatMs(r.ms).padStart(8)}  ${r.detail}\n`);
}

function printResult(result: EnrollmentResult): void {
  if (result.ok) {
    const d = result.device;
    process.stdout.write(
      `enrolled ${result.serial} as “${d.deviceName}” (${d.productName}, ${d.modelName}, ` +
        `${d.osVersion} ${d.buildVersion}, UDID ${d.udid}) in ${formatMs(result.totalMs)}` +
        `${result.released ? '' : ', not released from Setup Assistant'}\n`,
    );
    if (result.connectionRetries > 0)
      process.stdout.write(
        `(${result.connectionRetries} request(s) sent again after the connection closed unanswered)\n`,
      );
    return;
  }
  const f = result.failure;
  process.stdout.write(`failed at ${f.step}: ${f.code}: ${f.message}\n`);
  if (f.answer !== null) process.stdout.write(describeAnswer(f.answer, '  '));
}

function describeAnswer(answer: ServerAnswer, indent: string): string {
  const body = answer.body === '' ? '(empty body)' : answer.body.replace(/\n/g, `\n${indent}  `);
  return (
    `${indent}request:  ${answer.method} ${answer.url}\n` +
    `${indent}response: ${answer.status} ${answer.contentType ?? '(no Content-Type)'}\n` +
    `${indent}  ${body}\n`
  );
}

function printSummary(s: FleetSummary): void {
  const out = process.stdout;
  out.write(
    `enrolled ${s.enrolled} of ${s.total} in ${formatMs(s.elapsedMs)} ` +
      `(${s.ratePerSecond.toFixed(1)} enrollments/s)${s.failed > 0 ? `, ${s.failed} failed` : ''}\n`,
  );
  if (s.stepTimes.length > 0) {
    out.write(
      `step times p50/p95: ${s.stepTimes.map((t) => `${t.step} ${formatMs(t.p50)}/${formatMs(t.p95)}`).join(', ')}\n`,
    );
  }
  if (s.connectionRetries > 0) {
    out.write(
      `${s.connectionRetries} request${s.connectionRetries === 1 ? ' was' : 's were'} sent again after the server closed the connection without answering\n`,
    );
  }
  for (const group of s.failures) {
    const shown = group.serials.slice(0, 5).join(', ') + (group.serials.length > 5 ? ', …' : '');
    out.write(`failed ${group.count} × ${group.reason}: ${shown}\n  e.g. ${group.example.message}\n`);
    if (group.example.answer !== null) out.write(describeAnswer(group.example.answer, '  '));
  }
}

/** A bar redrawn in place on a terminal; elsewhere (CI logs, pipes) a plain line every 5 s. */
function progressReporter(total: number): { update: (p: FleetProgress) => void; finish: () => void } {
  const tty = process.stderr.isTTY === true;
  let last: FleetProgress = { total, done: 0, enrolled: 0, failed: 0, elapsedMs: 0 };
  let lastDraw = 0;
  const line = (p: FleetProgress) => {
    const rate = p.elapsedMs > 0 ? p.enrolled / (p.elapsedMs / 1000) : 0;
    return `${p.done}/${p.total}  enrolled ${p.enrolled}  failed ${p.failed}  ${rate.toFixed(1)}/s`;
  };
  const draw = (p: FleetProgress) => {
    if (tty) {
      const width = 30;
      const filled = Math.round((p.done / Math.max(1, p.total)) * width);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${line(p)}\u001b[K`);
    } else {
      process.stderr.write(`progress: ${line(p)}\n`);
    }
  };
  return {
    update: (p) => {
      last = p;
      const interval = tty ? 100 : 5000;
      if (p.elapsedMs - lastDraw >= interval || p.done === p.total) {
        lastDraw = p.elapsedMs;
        draw(p);
      }
    },
    finish: () => {
      if (tty) process.stderr.write('\n');
      else if (last.done !== last.total) draw(last);
    },
  };
}

function whole(flag: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new ConfigError(flag, `must be a whole number from ${min} to ${max} (got "${raw}")`);
  return Number(raw);
}

function checkUrl(flag: string, raw: string): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(flag, `must be an http(s) URL (got "${raw}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(flag, `must be an http(s) URL (got "${raw}")`);
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
