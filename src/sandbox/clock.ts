/**
 * Sandbox time: the host clock (or a test's) plus an offset that tests and demos advance
 * through the portal API, so "a year later" (token expiry) or "eight days later" (expired
 * cursors) can be shown without waiting. The offset is stored, so it survives a restart.
 */
import { getMeta, setMeta, type SandboxDb } from './db.js';

const OFFSET_KEY = 'clock_offset_ms';

export class SandboxClock {
  private offsetMs: number;

  constructor(
    private readonly db: SandboxDb,
    private readonly base: () => Date,
  ) {
    this.offsetMs = Number(getMeta(db, OFFSET_KEY) ?? '0') || 0;
  }

  nowMs(): number {
    return this.base().getTime() + this.offsetMs;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  get offsetSeconds(): number {
    return this.offsetMs / 1000;
  }

  /** Moves sandbox time forward; it never goes back (cursors and sessions assume that). */
  advance(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError('advanceSeconds must be a non-negative number');
    this.offsetMs += Math.round(seconds * 1000);
    setMeta(this.db, OFFSET_KEY, String(this.offsetMs));
  }
}

/** Apple's date format on the DEP wire: RFC 3339 in UTC with whole seconds, "2013-08-26T21:43:47Z". */
export function appleTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
