/**
 * Fault injection per MDM server, so tests and demos can make the sandbox misbehave the ways
 * Apple's service does: terms not accepted (403 T_C_NOT_SIGNED), a revoked token, throttling
 * (429 with Retry-After), outages (503 with Retry-After), slow answers, dropped connections,
 * and sessions expiring early. Rules are stored with the server (a demo survives a restart)
 * and can be limited to the next K calls and to one DEP path.
 *
 * Transport faults (slow, 429, 503, drop) hit before authentication, like a front door would;
 * account faults (terms, revoked token) after the caller is identified, like Apple's checks.
 */
import type { SandboxDb } from './db.js';

export type FaultRule =
  | { readonly kind: 'termsNotAccepted'; readonly path?: string; readonly count?: number }
  | { readonly kind: 'tokenRevoked'; readonly path?: string; readonly count?: number }
  | {
      readonly kind: 'rateLimit';
      readonly retryAfterSeconds: number;
      readonly retryAfterAsDate?: boolean;
      readonly path?: string;
      readonly count?: number;
    }
  | {
      readonly kind: 'unavailable';
      readonly retryAfterSeconds: number;
      readonly retryAfterAsDate?: boolean;
      readonly path?: string;
      readonly count?: number;
    }
  | { readonly kind: 'slow'; readonly delayMs: number; readonly path?: string; readonly count?: number }
  | { readonly kind: 'dropConnection'; readonly path?: string; readonly count?: number };

/** Not stored: applied once, when posted. */
export interface ImmediateFault {
  readonly kind: 'expireSessions';
}

export type FaultKind = FaultRule['kind'] | ImmediateFault['kind'];

export const FAULT_KINDS: readonly FaultKind[] = [
  'termsNotAccepted',
  'tokenRevoked',
  'rateLimit',
  'unavailable',
  'slow',
  'dropConnection',
  'expireSessions',
];

export interface StoredFault {
  readonly id: number;
  readonly rule: FaultRule;
  /** Calls left before the rule stops firing; null = until cleared. */
  readonly remaining: number | null;
}

export type TransportFault =
  { readonly kind: 'rateLimit' | 'unavailable'; readonly retryAfter: string } | { readonly kind: 'dropConnection' };

export type AccountFault = 'termsNotAccepted' | 'tokenRevoked';

export class FaultRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultRuleError';
  }
}

// One-shot kinds default to the next call; states (terms, revoked, slow) last until cleared.
const DEFAULT_COUNT: Partial<Record<FaultRule['kind'], number>> = { rateLimit: 1, unavailable: 1, dropConnection: 1 };

/**
 * Accepts `[rule, …]`, `{ "rules": [rule, …] }` or one rule object. Each rule:
 * `{ kind, count?, path? }` plus `retryAfterSeconds` (rateLimit, unavailable; optional
 * `retryAfterAsDate` to send an HTTP date) or `delayMs` (slow).
 */
export function parseFaultRules(body: unknown): { rules: FaultRule[]; immediate: ImmediateFault[] } {
  let list: unknown[];
  if (Array.isArray(body)) list = body;
  else if (typeof body === 'object' && body !== null && Array.isArray((body as { rules?: unknown }).rules)) {
    list = (body as { rules: unknown[] }).rules;
  } else if (typeof body === 'object' && body !== null && 'kind' in body) list = [body];
  else
    throw new FaultRuleError(
      'Send a JSON list of fault rules, e.g. [{"kind":"rateLimit","retryAfterSeconds":5,"count":2}].',
    );

  const rules: FaultRule[] = [];
  const immediate: ImmediateFault[] = [];
  list.forEach((item, index) => {
    const where = `rule ${index + 1}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw new FaultRuleError(`${where} is not an object.`);
    const input = item as Record<string, unknown>;
    const kind = input['kind'];
    if (typeof kind !== 'string' || !(FAULT_KINDS as readonly string[]).includes(kind)) {
      throw new FaultRuleError(`${where}: kind must be one of ${FAULT_KINDS.join(', ')}.`);
    }
    if (kind === 'expireSessions') {
      immediate.push({ kind });
      return;
    }
    const common: { path?: string; count?: number } = {};
    const count = input['count'];
    if (count !== undefined && count !== null) {
      if (!Number.isSafeInteger(count) || (count as number) < 1)
        throw new FaultRuleError(`${where}: count must be a positive integer.`);
      common.count = count as number;
    } else if (DEFAULT_COUNT[kind as FaultRule['kind']] !== undefined) {
      common.count = DEFAULT_COUNT[kind as FaultRule['kind']];
    }
    const path = input['path'];
    if (path !== undefined && path !== null) {
      if (typeof path !== 'string' || !path.startsWith('/'))
        throw new FaultRuleError(`${where}: path must be a DEP path such as "/server/devices".`);
      common.path = normalizePath(path);
    }
    switch (kind) {
      case 'termsNotAccepted':
      case 'tokenRevoked':
      case 'dropConnection':
        rules.push({ kind, ...common });
        break;
      case 'rateLimit':
      case 'unavailable': {
        const seconds = input['retryAfterSeconds'] ?? (kind === 'rateLimit' ? undefined : 30);
        if (!Number.isSafeInteger(seconds) || (seconds as number) < 0) {
          throw new FaultRuleError(`${where}: retryAfterSeconds must be a non-negative integer.`);
        }
        const asDate = input['retryAfterAsDate'];
        if (asDate !== undefined && typeof asDate !== 'boolean')
          throw new FaultRuleError(`${where}: retryAfterAsDate must be true or false.`);
        rules.push({
          kind,
          retryAfterSeconds: seconds as number,
          ...(asDate === true ? { retryAfterAsDate: true } : {}),
          ...common,
        });
        break;
      }
      case 'slow': {
        const delayMs = input['delayMs'];
        if (!Number.isSafeInteger(delayMs) || (delayMs as number) < 0 || (delayMs as number) > 120_000) {
          throw new FaultRuleError(`${where}: delayMs must be an integer from 0 to 120000.`);
        }
        rules.push({ kind, delayMs: delayMs as number, ...common });
        break;
      }
    }
  });
  return { rules, immediate };
}

/** Rule paths may be given relative to the DEP base ("/session") or with the mount prefix. */
export function normalizePath(path: string): string {
  const bare = path.split('?')[0] ?? path;
  const dep = bare.indexOf('/dep/');
  const relative = dep === -1 ? bare : bare.slice(dep + '/dep'.length);
  return relative.length > 1 ? relative.replace(/\/+$/, '') : relative;
}

export class FaultStore {
  constructor(private readonly db: SandboxDb) {}

  replace(serverId: string, rules: readonly FaultRule[]): StoredFault[] {
    this.db.transaction(() => {
      this.clear(serverId);
      const insert = this.db.prepare('INSERT INTO fault_rules (server_id, rule, remaining) VALUES (?, ?, ?)');
      for (const rule of rules) insert.run(serverId, JSON.stringify(rule), rule.count ?? null);
    })();
    return this.list(serverId);
  }

  clear(serverId: string): void {
    this.db.prepare('DELETE FROM fault_rules WHERE server_id = ?').run(serverId);
  }

  list(serverId: string): StoredFault[] {
    const rows = this.db
      .prepare('SELECT id, rule, remaining FROM fault_rules WHERE server_id = ? ORDER BY id')
      .all(serverId) as Array<{
      id: number;
      rule: string;
      remaining: number | null;
    }>;
    return rows.map((row) => ({ id: row.id, rule: JSON.parse(row.rule) as FaultRule, remaining: row.remaining }));
  }

  /**
   * Transport faults for one call: the total delay of matching `slow` rules, and the first
   * matching 429/503/drop rule, each counted down.
   */
  takeTransport(serverId: string, path: string, nowMs: number): { delayMs: number; fault: TransportFault | null } {
    let delayMs = 0;
    let fault: TransportFault | null = null;
    this.db.transaction(() => {
      for (const stored of this.matching(serverId, path)) {
        const { rule } = stored;
        if (rule.kind === 'slow') {
          delayMs += rule.delayMs;
          this.countDown(stored);
        } else if (fault === null && (rule.kind === 'rateLimit' || rule.kind === 'unavailable')) {
          const retryAfter =
            rule.retryAfterAsDate === true
              ? new Date(nowMs + rule.retryAfterSeconds * 1000).toUTCString()
              : String(rule.retryAfterSeconds);
          fault = { kind: rule.kind, retryAfter };
          this.countDown(stored);
        } else if (fault === null && rule.kind === 'dropConnection') {
          fault = { kind: 'dropConnection' };
          this.countDown(stored);
        }
      }
    })();
    return { delayMs, fault };
  }

  /** The first matching account fault, counted down. */
  takeAccount(serverId: string, path: string): AccountFault | null {
    return this.db.transaction((): AccountFault | null => {
      for (const stored of this.matching(serverId, path)) {
        if (stored.rule.kind === 'termsNotAccepted' || stored.rule.kind === 'tokenRevoked') {
          this.countDown(stored);
          return stored.rule.kind;
        }
      }
      return null;
    })();
  }

  private matching(serverId: string, path: string): StoredFault[] {
    return this.list(serverId).filter((stored) => stored.rule.path === undefined || stored.rule.path === path);
  }

  private countDown(stored: StoredFault): void {
    if (stored.remaining === null) return;
    if (stored.remaining <= 1) this.db.prepare('DELETE FROM fault_rules WHERE id = ?').run(stored.id);
    else this.db.prepare('UPDATE fault_rules SET remaining = remaining - 1 WHERE id = ?').run(stored.id);
  }
}
