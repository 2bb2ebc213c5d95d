import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export interface ExpiryNoticeRepository {
  /**
   * Records that the token, expiring at `expiresAt`, has had the notices for these days;
   * returns the days not recorded before (empty: nothing new to tell). A renewed token has a
   * new expiry, so its notices start over.
   */
  record(tokenId: string, expiresAt: string, daysBefore: readonly number[], now: string): Promise<number[]>;
}

export class KyselyExpiryNoticeRepository implements ExpiryNoticeRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async record(tokenId: string, expiresAt: string, daysBefore: readonly number[], now: string): Promise<number[]> {
    if (daysBefore.length === 0) return [];
    // ON CONFLICT DO NOTHING ... RETURNING: only this caller's new rows come back, so two
    // instances checking at once cannot both announce the same notice.
    const rows = await this.db
      .insertInto('abm_token_expiry_notices')
      .values(daysBefore.map((days) => ({ token_id: tokenId, expires_at: expiresAt, days_before: days, sent_at: now })))
      .onConflict((oc) => oc.columns(['token_id', 'expires_at', 'days_before']).doNothing())
      .returning('days_before')
      .execute();
    return rows.map((r) => r.days_before);
  }
}
