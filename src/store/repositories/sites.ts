import type { Kysely } from 'kysely';
import { violationOf } from '../errors.js';
import { decodeCursor, toPage, type Page, type PageRequest } from '../paging.js';
import type { Database, SiteRow } from '../schema.js';
import type { Attachments } from './customers.js';

export interface Site {
  readonly id: string;
  readonly customerId: string;
  readonly name: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface SiteRepository {
  insert(row: {
    id: string;
    customerId: string;
    name: string;
    nameKey: string;
    now: string;
  }): Promise<Site | 'name_taken' | 'customer_not_found'>;
  findById(id: string): Promise<Site | undefined>;
  listByCustomer(customerId: string, page: PageRequest): Promise<Page<Site>>;
  rename(id: string, name: string, nameKey: string, now: string): Promise<Site | 'name_taken' | 'not_found'>;
  delete(id: string): Promise<'deleted' | 'not_found' | { attached: Attachments }>;
}

export class KyselySiteRepository implements SiteRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: {
    id: string;
    customerId: string;
    name: string;
    nameKey: string;
    now: string;
  }): Promise<Site | 'name_taken' | 'customer_not_found'> {
    try {
      await this.db
        .insertInto('sites')
        .values({
          id: row.id,
          customer_id: row.customerId,
          name: row.name,
          name_key: row.nameKey,
          created_at: row.now,
          updated_at: row.now,
        })
        .execute();
    } catch (error) {
      const violation = violationOf(error);
      if (violation === 'unique') return 'name_taken';
      if (violation === 'foreign_key') return 'customer_not_found';
      throw error;
    }
    return { id: row.id, customerId: row.customerId, name: row.name, createdAt: row.now, updatedAt: row.now };
  }

  async findById(id: string): Promise<Site | undefined> {
    const row = await this.db.selectFrom('sites').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toSite(row);
  }

  async listByCustomer(customerId: string, page: PageRequest): Promise<Page<Site>> {
    let q = this.db
      .selectFrom('sites')
      .selectAll()
      .where('customer_id', '=', customerId)
      .orderBy('name_key')
      .orderBy('id')
      .limit(page.limit + 1);
    if (page.cursor !== undefined) {
      const [key, id] = decodeCursor(page.cursor, 2) as [string, string];
      q = q.where((eb) => eb.or([eb('name_key', '>', key), eb.and([eb('name_key', '=', key), eb('id', '>', id)])]));
    }
    return toPage(await q.execute(), page.limit, toSite, (r) => [r.name_key, r.id]);
  }

  async rename(id: string, name: string, nameKey: string, now: string): Promise<Site | 'name_taken' | 'not_found'> {
    try {
      const result = await this.db
        .updateTable('sites')
        .set({ name, name_key: nameKey, updated_at: now })
        .where('id', '=', id)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) return 'not_found';
    } catch (error) {
      if (violationOf(error) === 'unique') return 'name_taken';
      throw error;
    }
    return (await this.findById(id)) ?? 'not_found';
  }

  async delete(id: string): Promise<'deleted' | 'not_found' | { attached: Attachments }> {
    try {
      const result = await this.db.deleteFrom('sites').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows === 0n ? 'not_found' : 'deleted';
    } catch (error) {
      // Nothing refers to sites yet; ABM tokens and devices will, and their foreign keys
      // will land here. Until then the generic count is all that can be said.
      if (violationOf(error) !== 'foreign_key') throw error;
      return { attached: {} };
    }
  }
}

function toSite(row: SiteRow): Site {
  return {
    id: row.id,
    customerId: row.customer_id,
    name: row.name,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
