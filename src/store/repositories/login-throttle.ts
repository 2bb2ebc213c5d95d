import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface ThrottleState {
  readonly failures: number;
  readonly windowStartedAt: string;
  readonly lockedUntil: string | null;
}

/**
 * Failed sign-ins per subject (an email, an IP address), kept in the database so that
 * every Orchard instance behind a load balancer counts the same attempts.
 */
export interface LoginThrottleRepository {
  get(subject: string): Promise<ThrottleState | undefined>;
  put(subject: string, state: ThrottleState): Promise<void>;
  clear(subject: string): Promise<void>;
}

export class KyselyLoginThrottleRepository implements LoginThrottleRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(subject: string): Promise<ThrottleState | undefined> {
    const row = await this.db
      .selectFrom('login_throttle')
      .selectAll()
      .where('subject', '=', subject)
      .executeTakeFirst();
    return row === undefined
      ? undefined
      : { failures: Number(row.failures), windowStartedAt: row.window_started_at, lockedUntil: row.locked_until };
  }

  async put(subject: string, state: ThrottleState): Promise<void> {
    const values = {
      failures: state.failures,
      window_started_at: state.windowStartedAt,
      locked_until: state.lockedUntil,
    };
    await this.db
      .insertInto('login_throttle')
      .values({ subject, ...values })
      .onConflict((oc) => oc.column('subject').doUpdateSet(values))
      .execute();
  }

  async clear(subject: string): Promise<void> {
    await this.db.deleteFrom('login_throttle').where('subject', '=', subject).execute();
  }
}
