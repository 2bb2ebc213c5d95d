import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from '../schema.js';

export interface ThrottleState {
  /** Attempts admitted in the current run: wrong passwords, and ones still being checked. */
  readonly failures: number;
  readonly windowStartedAt: string;
  readonly lockedUntil: string | null;
}

/**
 * When a subject's attempt is admitted, with every time already worked out by the caller
 * (the policy lives in src/domain/accounts.ts; this file only makes it atomic).
 */
export interface ThrottleRule {
  readonly now: string;
  /** Admitted attempts that lock the subject: the attempt that reaches it is still admitted. */
  readonly maxFailures: number;
  /** A run that never reached a lock starts over once it began at or before this. */
  readonly windowStartedBefore: string;
  /** A run that reached a lock starts over once its lock ended at or before this. */
  readonly lockEndedBefore: string;
  /**
   * When the lock ends for the maxFailures-th admitted attempt (index 0), the next one after
   * that lock ran out (index 1), and so on; the last entry serves every attempt beyond.
   */
  readonly lockUntil: readonly [string, ...string[]];
}

export type Reservation =
  | { readonly admitted: true; readonly state: ThrottleState }
  /** state is undefined only when the row went away in between (a sign-in cleared it). */
  | { readonly admitted: false; readonly state: ThrottleState | undefined };

/**
 * Sign-in attempts per subject (an account, an account from one address), kept in the
 * database so that every Orchard instance behind a load balancer counts the same attempts.
 *
 * An attempt is reserved before its password is checked, in one statement, so that
 * concurrent attempts cannot all read "not locked yet" and all go on to guess: the
 * database serialises the reservations, and the attempt that reaches the limit sets the
 * lock in the same statement.
 */
export interface LoginThrottleRepository {
  /**
   * Counts one attempt against the subject if the rule admits it. Admitted: the run is not
   * locked, and has fewer than maxFailures attempts or its lock has run out (one more try,
   * which locks again for longer). A stale run starts over at 1.
   */
  reserve(subject: string, rule: ThrottleRule): Promise<Reservation>;
  /** Takes back one admitted attempt that turned out not to be a wrong password. */
  release(subject: string, rule: ThrottleRule): Promise<void>;
  get(subject: string): Promise<ThrottleState | undefined>;
  clear(subject: string): Promise<void>;
  /** Clears `subject` and every subject that ends with a space and `subject` (its per-address rows). */
  clearWithSuffixed(subject: string): Promise<void>;
  /**
   * Deletes rows that count for nothing any more: unlocked runs begun at or before
   * `unlockedStartedBefore`, locks that ended at or before `lockEndedBefore`. The caller
   * passes times at which every policy treats such a row as stale, so deleting it changes
   * no decision (a stale run starts over at 1, as a missing row does).
   */
  deleteForgotten(unlockedStartedBefore: string, lockEndedBefore: string): Promise<number>;
}

export class KyselyLoginThrottleRepository implements LoginThrottleRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async reserve(subject: string, rule: ThrottleRule): Promise<Reservation> {
    // Inside ON CONFLICT, `login_throttle.x` is the stored row. Both engines decide on the
    // latest committed row (PostgreSQL locks it, SQLite has one writer) and return no row when
    // the WHERE is false: that is how a refusal is told apart from an admission, since
    // RETURNING only shows new values and a refused attempt changes nothing.
    const stale = sql<boolean>`(
      (login_throttle.locked_until is null and login_throttle.window_started_at <= ${rule.windowStartedBefore})
      or (login_throttle.locked_until is not null and login_throttle.locked_until <= ${rule.lockEndedBefore})
    )`;
    const admit = sql<boolean>`(
      ${stale}
      or (login_throttle.locked_until is null and login_throttle.failures < ${rule.maxFailures})
      or (login_throttle.locked_until is not null and login_throttle.locked_until <= ${rule.now})
    )`;
    const firstLock = rule.maxFailures <= 1 ? rule.lockUntil[0] : null;
    const nextLock = lockFor(sql<number>`login_throttle.failures + 1`, rule);
    const row = await this.db
      .insertInto('login_throttle')
      .values({ subject, failures: 1, window_started_at: rule.now, locked_until: firstLock })
      .onConflict((oc) =>
        oc
          .column('subject')
          .doUpdateSet({
            failures: sql<number>`case when ${stale} then 1 else login_throttle.failures + 1 end`,
            window_started_at: sql<string>`case when ${stale} then ${rule.now} else login_throttle.window_started_at end`,
            locked_until: sql<string | null>`case when ${stale} then ${firstLock} else ${nextLock} end`,
          })
          .where(admit),
      )
      .returning(['failures', 'window_started_at', 'locked_until'])
      .executeTakeFirst();
    if (row !== undefined) return { admitted: true, state: stateOf(row) };
    return { admitted: false, state: await this.get(subject) };
  }

  async release(subject: string, rule: ThrottleRule): Promise<void> {
    // Undo one admission: the lock is whatever the count alone implies. Below the limit there
    // is none; at or above it, the attempt being taken back can only have been let in after a
    // lock ran out, so the lock is left as run out: one more try is due.
    const remaining = sql<number>`login_throttle.failures - 1`;
    await this.db
      .updateTable('login_throttle')
      .set({
        failures: remaining,
        locked_until: sql<string | null>`case when ${remaining} >= ${rule.maxFailures} then ${rule.now} else null end`,
      })
      .where('subject', '=', subject)
      .where('failures', '>', 0)
      .execute();
  }

  async get(subject: string): Promise<ThrottleState | undefined> {
    const row = await this.db
      .selectFrom('login_throttle')
      .select(['failures', 'window_started_at', 'locked_until'])
      .where('subject', '=', subject)
      .executeTakeFirst();
    return row === undefined ? undefined : stateOf(row);
  }

  async clear(subject: string): Promise<void> {
    await this.db.deleteFrom('login_throttle').where('subject', '=', subject).execute();
  }

  async clearWithSuffixed(subject: string): Promise<void> {
    // Not LIKE: an email may hold % and _. substr and length count characters on both engines.
    const suffix = ` ${subject}`;
    await this.db
      .deleteFrom('login_throttle')
      .where((eb) =>
        eb.or([
          eb('subject', '=', subject),
          eb(sql`substr(subject, length(subject) - ${Array.from(suffix).length - 1})`, '=', suffix),
        ]),
      )
      .execute();
  }

  async deleteForgotten(unlockedStartedBefore: string, lockEndedBefore: string): Promise<number> {
    const result = await this.db
      .deleteFrom('login_throttle')
      .where((eb) =>
        eb.or([
          eb.and([eb('locked_until', 'is', null), eb('window_started_at', '<=', unlockedStartedBefore)]),
          eb('locked_until', '<=', lockEndedBefore),
        ]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/**
 * The lock a run of `failures` admitted attempts carries: none below the limit, then
 * lockUntil[failures - maxFailures], the last entry for every count beyond. Written as a
 * CASE over the precomputed times so both engines run the same SQL without date arithmetic.
 */
function lockFor(failures: RawBuilder<number>, rule: ThrottleRule): RawBuilder<string | null> {
  const arms = [
    sql`when ${failures} < ${rule.maxFailures} then null`,
    ...rule.lockUntil.slice(0, -1).map((until, i) => sql`when ${failures} = ${rule.maxFailures + i} then ${until}`),
  ];
  return sql<string | null>`case ${sql.join(arms, sql` `)} else ${rule.lockUntil[rule.lockUntil.length - 1]} end`;
}

function stateOf(row: {
  failures: number | string;
  window_started_at: string;
  locked_until: string | null;
}): ThrottleState {
  // PostgreSQL's integer arithmetic can come back as a string through node-postgres.
  return { failures: Number(row.failures), windowStartedAt: row.window_started_at, lockedUntil: row.locked_until };
}
