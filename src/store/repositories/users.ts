import { PostgresAdapter, type Kysely } from 'kysely';
import { violationOf } from '../errors.js';
import { inTransaction } from '../db.js';
import type { Database, Role, UserRow } from '../schema.js';

export interface User {
  readonly id: string;
  readonly email: string;
  readonly role: Role;
  /** Customers a technician or read-only user may see; empty for admins (they see all). */
  readonly customerIds: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Set: the user cannot sign in. */
  readonly disabledAt: string | null;
  /** Invited and has not chosen a password yet. */
  readonly passwordSet: boolean;
}

export interface UserWithPassword extends User {
  readonly passwordHash: string | null;
}

export interface NewUser {
  readonly id: string;
  readonly email: string;
  readonly emailKey: string;
  /** null: invited; the user chooses one through their link. */
  readonly passwordHash: string | null;
  readonly role: Role;
  readonly customerIds: readonly string[];
  readonly now: string;
}

export interface UserChanges {
  readonly email?: { readonly email: string; readonly emailKey: string };
  readonly role?: Role;
  /** Replaces the user's customers (ignored, and cleared, for an admin). */
  readonly customerIds?: readonly string[];
  readonly disabledAt?: string | null;
}

export interface UserRepository {
  count(): Promise<number>;
  /** Admins that can sign in: the last of them cannot be disabled, demoted or deleted. */
  countActiveAdmins(): Promise<number>;
  /**
   * Inside a transaction, waits for and holds the admins' rows, so that two transactions
   * changing admins run one after the other and the second counts what the first left.
   * (SQLite's write transactions already run one at a time.)
   */
  lockAdmins(): Promise<void>;
  insert(row: NewUser): Promise<User | 'email_taken'>;
  findById(id: string): Promise<User | undefined>;
  findByEmailKey(emailKey: string): Promise<UserWithPassword | undefined>;
  /** undefined: no such user; null: invited, no password yet. */
  passwordHashOf(id: string): Promise<string | null | undefined>;
  list(): Promise<User[]>;
  setPassword(id: string, passwordHash: string, now: string): Promise<boolean>;
  update(id: string, changes: UserChanges, now: string): Promise<User | 'not_found' | 'email_taken'>;
  delete(id: string): Promise<boolean>;
}

export class KyselyUserRepository implements UserRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((e) => e.fn.countAll<number | string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async countActiveAdmins(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((e) => e.fn.countAll<number | string>().as('n'))
      .where('role', '=', 'admin')
      .where('disabled_at', 'is', null)
      // An invited admin cannot sign in until it chooses a password.
      .where('password_hash', 'is not', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async lockAdmins(): Promise<void> {
    if (!(this.db.getExecutor().adapter instanceof PostgresAdapter)) return;
    await this.db.selectFrom('users').select('id').where('role', '=', 'admin').orderBy('id').forUpdate().execute();
  }

  async insert(row: NewUser): Promise<User | 'email_taken'> {
    const customerIds = row.role === 'admin' ? [] : [...new Set(row.customerIds)].sort();
    try {
      await inTransaction(this.db, async (tx) => {
        await tx
          .insertInto('users')
          .values({
            id: row.id,
            email: row.email,
            email_key: row.emailKey,
            password_hash: row.passwordHash,
            role: row.role,
            created_at: row.now,
            updated_at: row.now,
            disabled_at: null,
          })
          .execute();
        if (customerIds.length > 0) {
          await tx
            .insertInto('user_customers')
            .values(customerIds.map((customerId) => ({ user_id: row.id, customer_id: customerId })))
            .execute();
        }
      });
    } catch (error) {
      if (violationOf(error) === 'unique') return 'email_taken';
      throw error;
    }
    return {
      id: row.id,
      email: row.email,
      role: row.role,
      customerIds,
      createdAt: row.now,
      updatedAt: row.now,
      disabledAt: null,
      passwordSet: row.passwordHash !== null,
    };
  }

  async findById(id: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : (await this.withCustomers([row]))[0];
  }

  async findByEmailKey(emailKey: string): Promise<UserWithPassword | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('email_key', '=', emailKey).executeTakeFirst();
    if (row === undefined) return undefined;
    const [user] = await this.withCustomers([row]);
    return user === undefined ? undefined : { ...user, passwordHash: row.password_hash };
  }

  async passwordHashOf(id: string): Promise<string | null | undefined> {
    const row = await this.db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirst();
    return row?.password_hash;
  }

  async list(): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('email_key').execute();
    return this.withCustomers(rows);
  }

  async setPassword(id: string, passwordHash: string, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: now })
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async update(id: string, changes: UserChanges, now: string): Promise<User | 'not_found' | 'email_taken'> {
    try {
      const found = await inTransaction(this.db, async (tx) => {
        const result = await tx
          .updateTable('users')
          .set({
            updated_at: now,
            ...(changes.email === undefined ? {} : { email: changes.email.email, email_key: changes.email.emailKey }),
            ...(changes.role === undefined ? {} : { role: changes.role }),
            ...(changes.disabledAt === undefined ? {} : { disabled_at: changes.disabledAt }),
          })
          .where('id', '=', id)
          .returning('role')
          .executeTakeFirst();
        if (result === undefined) return false;
        if (changes.customerIds !== undefined || result.role === 'admin') {
          await tx.deleteFrom('user_customers').where('user_id', '=', id).execute();
          const customerIds = result.role === 'admin' ? [] : [...new Set(changes.customerIds ?? [])];
          if (customerIds.length > 0) {
            await tx
              .insertInto('user_customers')
              .values(customerIds.map((customerId) => ({ user_id: id, customer_id: customerId })))
              .execute();
          }
        }
        return true;
      });
      if (!found) return 'not_found';
    } catch (error) {
      if (violationOf(error) === 'unique') return 'email_taken';
      throw error;
    }
    return (await this.findById(id)) ?? 'not_found';
  }

  async delete(id: string): Promise<boolean> {
    // Its sessions, API keys, customer list and password links go with it (foreign keys cascade).
    const result = await this.db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** The users with their customer lists, read in one query for all of them. */
  private async withCustomers(rows: readonly UserRow[]): Promise<User[]> {
    const scoped = rows.filter((r) => r.role !== 'admin').map((r) => r.id);
    const customers = new Map<string, string[]>();
    if (scoped.length > 0) {
      const links = await this.db
        .selectFrom('user_customers')
        .select(['user_id', 'customer_id'])
        .where('user_id', 'in', scoped)
        .orderBy('customer_id')
        .execute();
      for (const link of links) {
        const list = customers.get(link.user_id) ?? [];
        list.push(link.customer_id);
        customers.set(link.user_id, list);
      }
    }
    return rows.map((row) => ({
      id: row.id,
      email: row.email,
      role: row.role,
      customerIds: customers.get(row.id) ?? [],
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      disabledAt: row.disabled_at,
      passwordSet: row.password_hash !== null,
    }));
  }
}
