import type { Kysely } from 'kysely';
import { violationOf } from '../errors.js';
import { decodeCursor, toPage, type Page, type PageRequest } from '../paging.js';
import type { Database, SiteRow } from '../schema.js';
import type { Attachments } from './customers.js';
import { deleteUnreferenced, renameRow } from './named-rows.js';

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
    const result = await renameRow(this.db, 'sites', { id, name, nameKey, now });
    return result === 'renamed' ? ((await this.findById(id)) ?? 'not_found') : result;
  }

  async delete(id: string): Promise<'deleted' | 'not_found' | { attached: Attachments }> {
    const result = await deleteUnreferenced(this.db, 'sites', id);
    if (result !== 'referenced') return result;
    const tokens = await this.db
      .selectFrom('abm_tokens')
      .where('site_id', '=', id)
      .select((e) => e.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    // Devices never block a delete themselves (a released one loses its site); those of the
    // site's tokens are counted so the message says what moving the tokens would take along.
    const devices = await this.db
      .selectFrom('devices')
      .where('site_id', '=', id)
      .where('abm_token_id', 'is not', null)
      .select((e) => e.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return { attached: { 'ABM tokens': Number(tokens.n), devices: Number(devices.n) } };
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
