/**
 * Many devices at once: every assigned, not yet enrolled device of a token (as Orchard lists
 * them), enrolled by N workers, with a running tally and a summary that groups failures by
 * step and reason.
 */
import { performance } from 'node:perf_hooks';
import { enrollDevice, type EnrollDeviceOptions, type EnrollmentResult } from './enroll.js';
import { EnrollmentStepError } from './errors.js';
import { Transport, answerOf, exchange, jsonOf, type Fetch } from './http.js';

/** Orchard's enrollment states a device can still enroll from. */
const DONE_STATES = new Set(['enrolled', 'removed', 'released']);

export class FleetListError extends Error {
  readonly code = 'FLEET_LIST_FAILED';
  constructor(message: string) {
    super(message);
    this.name = 'FleetListError';
  }
}

/** Serials of a token's devices that are not enrolled, removed or released, from Orchard's API. */
export async function pendingSerials(o: {
  orchardUrl: string;
  apiKey: string;
  tokenId: string;
  fetch?: Fetch;
  timeoutMs?: number;
}): Promise<string[]> {
  const transport = new Transport(o.fetch ?? globalThis.fetch, o.timeoutMs ?? 30_000);
  const serials: string[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ abmTokenId: o.tokenId, limit: '500' });
    if (cursor !== null) query.set('cursor', cursor);
    const url = `${o.orchardUrl.replace(/\/+$/, '')}/api/v1/devices?${query.toString()}`;
    let x;
    try {
      x = await exchange(transport, 'lookup', {
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${o.apiKey}` },
      });
    } catch (error) {
      throw new FleetListError(error instanceof Error ? error.message : String(error));
    }
    const page = jsonOf(x);
    if (x.status !== 200 || typeof page !== 'object' || page === null) {
      const answer = answerOf(x);
      throw new FleetListError(`GET ${url} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
    }
    const { items, nextCursor } = page as { items?: unknown; nextCursor?: unknown };
    if (!Array.isArray(items)) throw new FleetListError(`GET ${url} answered without items`);
    for (const item of items as unknown[]) {
      if (typeof item !== 'object' || item === null) continue;
      const { serialNumber, enrollmentState } = item as Record<string, unknown>;
      if (typeof serialNumber === 'string' && !DONE_STATES.has(String(enrollmentState))) serials.push(serialNumber);
    }
    cursor = typeof nextCursor === 'string' && nextCursor !== '' ? nextCursor : null;
  } while (cursor !== null);
  return serials;
}

export interface FleetProgress {
  readonly total: number;
  readonly done: number;
  readonly enrolled: number;
  readonly failed: number;
  readonly elapsedMs: number;
}

export interface FailureGroup {
  /** "step: CODE (HTTP status)", what the failures share. */
  readonly reason: string;
  readonly count: number;
  readonly serials: readonly string[];
  /** The first failure's full message and server answer, as an example. */
  readonly example: EnrollmentStepError;
}

export interface FleetSummary {
  readonly total: number;
  readonly enrolled: number;
  readonly failed: number;
  readonly elapsedMs: number;
  /** Complete enrollments per second of wall time. */
  readonly ratePerSecond: number;
  /** Per step: median and 95th-percentile milliseconds over the successful enrollments. */
  readonly stepTimes: ReadonlyArray<{ readonly step: string; readonly p50: number; readonly p95: number }>;
  readonly failures: readonly FailureGroup[];
  /** Requests sent again because a connection closed before any answer came. */
  readonly connectionRetries: number;
}

export async function enrollFleet(
  serials: readonly string[],
  o: Omit<EnrollDeviceOptions, 'serial' | 'onStep'> & {
    concurrency: number;
    onProgress?: (progress: FleetProgress) => void;
    onResult?: (result: EnrollmentResult) => void;
  },
): Promise<FleetSummary> {
  const started = performance.now();
  const results: EnrollmentResult[] = [];
  let next = 0;
  let enrolled = 0;
  let failed = 0;
  const { concurrency, onProgress, onResult, ...device } = o;

  const worker = async () => {
    for (;;) {
      const serial = serials[next];
      next += 1;
      if (serial === undefined) return;
      const result = await enrollDevice({ ...device, serial });
      results.push(result);
      if (result.ok) enrolled += 1;
      else failed += 1;
      onResult?.(result);
      onProgress?.({
        total: serials.length,
        done: enrolled + failed,
        enrolled,
        failed,
        elapsedMs: performance.now() - started,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, serials.length)) }, worker));
  const elapsedMs = performance.now() - started;
  return {
    total: serials.length,
    enrolled,
    failed,
    elapsedMs,
    ratePerSecond: elapsedMs > 0 ? enrolled / (elapsedMs / 1000) : 0,
    stepTimes: stepTimes(results),
    failures: groupFailures(results),
    connectionRetries: results.reduce((sum, r) => sum + r.connectionRetries, 0),
  };
}

export function groupFailures(results: readonly EnrollmentResult[]): FailureGroup[] {
  const groups = new Map<string, { serials: string[]; example: EnrollmentStepError }>();
  for (const result of results) {
    if (result.ok) continue;
    const f = result.failure;
    const reason = `${f.step}: ${f.code}${f.answer === null ? '' : ` (HTTP ${f.answer.status})`}`;
    const group = groups.get(reason);
    if (group === undefined) groups.set(reason, { serials: [result.serial], example: f });
    else group.serials.push(result.serial);
  }
  return [...groups.entries()]
    .map(([reason, g]) => ({ reason, count: g.serials.length, serials: g.serials, example: g.example }))
    .sort((a, b) => b.count - a.count);
}

function stepTimes(results: readonly EnrollmentResult[]): FleetSummary['stepTimes'] {
  const byStep = new Map<string, number[]>();
  for (const result of results) {
    if (!result.ok) continue;
    for (const s of result.steps) {
      const list = byStep.get(s.step) ?? [];
      list.push(s.ms);
      byStep.set(s.step, list);
    }
  }
  return [...byStep.entries()].map(([step, times]) => {
    const sorted = [...times].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return { step, p50: at(0.5), p95: at(0.95) };
  });
}
