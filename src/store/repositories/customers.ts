import { sql, type Kysely } from 'kysely';
import { violationOf } from '../errors.js';
import { deleteUnreferenced, renameRow } from './named-rows.js';
import { decodeCursor, toPage, type Page, type PageRequest } from '../paging.js';
import type { CustomerRow, Database } from '../schema.js';

export interface Customer {
  readonly id: string;
  readonly name: string;
  readonly siteCount: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface CustomerListQuery extends PageRequest {
  /** Substring of the name, matched case-insensitively. */
  readonly search?: string;
  /** Only these customers (a technician's scope); undefined means all. */
  readonly onlyIds?: readonly string[];
}

export type Attachments = Readonly<Record<string, number>>;

export interface CustomerRepository {
  insert(row: { id: string; name: string; nameKey: string; now: string }): Promise<Customer | 'name_taken'>;
  findById(id: string): Promise<Customer | undefined>;
  list(query: CustomerListQuery): Promise<Page<Customer>>;
  rename(id: string, name: string, nameKey: string, now: string): Promise<Customer | 'name_taken' | 'not_found'>;
  /** Deletes only when nothing refers to the customer; otherwise says what does. */
  delete(id: string): Promise<'deleted' | 'not_found' | { attached: Attachments }>;
}

/** `%` and `_` in a search box are literal characters to the user. */
export function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export class KyselyCustomerRepository implements CustomerRepository {
  constructor(private readonly db: Kysely<Database>) {}

  private select() {
    return this.db
      .selectFrom('customers')
      .selectAll('customers')
      .select((eb) =>
        eb
          .selectFrom('sites')
          .whereRef('sites.customer_id', '=', 'customers.id')
          .select((e) => e.fn.countAll<number | string>().as('n'))
          .as('site_count'),
      );
  }

  async insert(row: { id: string; name: string; nameKey: string; now: string }): Promise<Customer | 'name_taken'> {
    try {
      await this.db
        .insertInto('customers')
        .values({ id: row.id, name: row.name, name_key: row.nameKey, created_at: row.now, updated_at: row.now })
        .execute();
    } catch (error) {
      if (violationOf(error) === 'unique') return 'name_taken';
      throw error;
    }
    return { id: row.id, name: row.name, siteCount: 0, createdAt: row.now, updatedAt: row.now };
  }

  async findById(id: string): Promise<Customer | undefined> {
    const row = await this.select().where('customers.id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toCustomer(row);
  }

  async list(query: CustomerListQuery): Promise<Page<Customer>> {
    let q = this.select()
      .orderBy('customers.name_key')
      .orderBy('customers.id')
      .limit(query.limit + 1);
    if (query.search !== undefined && query.search.trim() !== '') {
      const pattern = likePattern(query.search.normalize('NFKC').toLowerCase().trim());
      q = q.where(sql<boolean>`customers.name_key like ${pattern} escape '\\'`);
    }
    if (query.onlyIds !== undefined) {
      if (query.onlyIds.length === 0) return { items: [] };
      q = q.where('customers.id', 'in', query.onlyIds);
    }
    if (query.cursor !== undefined) {
      const [key, id] = decodeCursor(query.cursor, 2) as [string, string];
      q = q.where((eb) =>
        eb.or([
          eb('customers.name_key', '>', key),
          eb.and([eb('customers.name_key', '=', key), eb('customers.id', '>', id)]),
        ]),
      );
    }
    const rows = await q.execute();
    return toPage(rows, query.limit, toCustomer, (r) => [r.name_key, r.id]);
  }

  async rename(id: string, name: string, nameKey: string, now: string): Promise<Customer | 'name_taken' | 'not_found'> {
    const result = await renameRow(this.db, 'customers', { id, name, nameKey, now });
    return result === 'renamed' ? ((await this.findById(id)) ?? 'not_found') : result;
  }

  async delete(id: string): Promise<'deleted' | 'not_found' | { attached: Attachments }> {
    const result = await deleteUnreferenced(this.db, 'customers', id);
    if (result !== 'referenced') return result;
    const sites = await this.db
      .selectFrom('sites')
      .where('customer_id', '=', id)
      .select((e) => e.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return { attached: { sites: Number(sites.n) } };
  }
}

function toCustomer(row: CustomerRow & { site_count: number | string | null }): Customer {
  return {
    id: row.id,
    name: row.name,
    // COUNT(*) is a bigint in PostgreSQL, which pg returns as a string.
    siteCount: Number(row.site_count ?? 0),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
