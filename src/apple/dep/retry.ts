/**
 * Retries for DEP calls: exponential backoff with full jitter on 429, 502/503/504 and network
 * failures, honouring Apple's `Retry-After` (seconds or HTTP-date) up to a cap. Sleep, random
 * and the clock are injected so tests run instantly and deterministically.
 */
import type { Clock } from '../../domain/clock.js';
import { DepThrottledError, DepUnavailableError, type DepCall } from './errors.js';
import { NetworkFailure, type HttpResponse } from './http.js';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryPolicy {
  /** Attempts in all, including the first. */
  readonly maxAttempts: number;
  /** A longer Retry-After fails the call at once (with DEP_THROTTLED) instead of sleeping for it. */
  readonly maxRetryAfterMs: number;
  /** Backoff for retry n is random() × min(maxDelayMs, baseDelayMs × 2^(n-1)) ("full jitter"). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: Sleep;
  /** Uniform in [0, 1), like Math.random. */
  readonly random: () => number;
  readonly clock: Clock;
}

export interface RetryCall {
  readonly call: DepCall;
  readonly host: string;
  /**
   * False for calls that change state at Apple (define profile, disown, activation lock):
   * they are repeated only when Apple certainly did not process them — 429, 503, or a
   * connection that never opened — not after a timeout, a reset or a gateway error.
   */
  readonly idempotent: boolean;
  readonly signal?: AbortSignal;
}

/** Retry-After in milliseconds from `now`, or null when absent or unreadable (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: Date): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number.parseInt(text, 10) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now.getTime());
}

export function backoffDelayMs(
  retry: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
): number {
  return Math.floor(policy.random() * backoffCeilingMs(retry, policy));
}

function isRetryableStatus(status: number, idempotent: boolean): boolean {
  // 429 and 503 mean Apple turned the request away unprocessed; a 502/504 from a gateway
  // may hide a request the backend did carry out.
  if (status === 429 || status === 503) return true;
  return idempotent && (status === 502 || status === 504);
}

/**
 * Runs `attempt` until it yields a response that is not worth retrying, and returns that
 * response (success or error, for the caller to map). Throws DEP_THROTTLED / DEP_UNAVAILABLE
 * when the attempts run out or Apple asks for a longer wait than the cap; rethrows anything
 * that is not a NetworkFailure (a typed error from a nested /session call, a caller abort).
 */
export async function withRetries(
  policy: RetryPolicy,
  call: RetryCall,
  attempt: () => Promise<HttpResponse>,
): Promise<HttpResponse> {
  for (let n = 1; ; n++) {
    let delayMs: number;
    try {
      const response = await attempt();
      if (!isRetryableStatus(response.status, call.idempotent)) return response;
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), policy.clock.now());
      const tooLong = retryAfterMs !== null && retryAfterMs > policy.maxRetryAfterMs;
      if (tooLong || n >= policy.maxAttempts) {
        const waitSeconds = Math.ceil((retryAfterMs ?? backoffCeilingMs(n + 1, policy)) / 1000);
        if (response.status === 429) throw new DepThrottledError(call.call, waitSeconds, n);
        throw new DepUnavailableError(
          call.call,
          call.host,
          `HTTP ${response.status}`,
          n,
          true,
          retryAfterMs === null ? null : waitSeconds,
        );
      }
      delayMs = retryAfterMs ?? backoffDelayMs(n, policy);
    } catch (error) {
      if (!(error instanceof NetworkFailure)) throw error;
      if (!call.idempotent && error.mayHaveReachedServer) {
        throw new DepUnavailableError(call.call, call.host, error.reason, n, false);
      }
      if (n >= policy.maxAttempts) throw new DepUnavailableError(call.call, call.host, error.reason, n, true);
      delayMs = backoffDelayMs(n, policy);
    }
    await policy.sleep(delayMs, call.signal);
  }
}

function backoffCeilingMs(retry: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
}
