import type { Kysely } from 'kysely';
import { violationOf } from '../errors.js';
import type { Database, Role, UserRow } from '../schema.js';

export interface User {
  readonly id: string;
  readonly email: string;
  readonly role: Role;
  /** Customers a technician may see; empty for admins (they see all). */
  readonly customerIds: readonly string[];
  readonly createdAt: string;
}

export interface UserWithPassword extends User {
  readonly passwordHash: string;
}

export interface NewUser {
  readonly id: string;
  readonly email: string;
  readonly emailKey: string;
  readonly passwordHash: string;
  readonly role: Role;
  readonly customerIds: readonly string[];
  readonly now: string;
}

export interface UserRepository {
  count(): Promise<number>;
  insert(row: NewUser): Promise<User | 'email_taken'>;
  findById(id: string): Promise<User | undefined>;
  findByEmailKey(emailKey: string): Promise<UserWithPassword | undefined>;
  list(): Promise<User[]>;
  setPassword(id: string, passwordHash: string, now: string): Promise<boolean>;
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

  async insert(row: NewUser): Promise<User | 'email_taken'> {
    try {
      await this.db.transaction().execute(async (tx) => {
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
          })
          .execute();
        if (row.customerIds.length > 0) {
          await tx
            .insertInto('user_customers')
            .values(row.customerIds.map((customerId) => ({ user_id: row.id, customer_id: customerId })))
            .execute();
        }
      });
    } catch (error) {
      if (violationOf(error) === 'unique') return 'email_taken';
      throw error;
    }
    return { id: row.id, email: row.email, role: row.role, customerIds: row.customerIds, createdAt: row.now };
  }

  async findById(id: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : this.withCustomers(row);
  }

  async findByEmailKey(emailKey: string): Promise<UserWithPassword | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('email_key', '=', emailKey).executeTakeFirst();
    return row === undefined ? undefined : { ...(await this.withCustomers(row)), passwordHash: row.password_hash };
  }

  async list(): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('email_key').execute();
    return Promise.all(rows.map((row) => this.withCustomers(row)));
  }

  async setPassword(id: string, passwordHash: string, now: string): Promise<boolean> {
    const result = await this.db
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: now })
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  private async withCustomers(row: UserRow): Promise<User> {
    const customerIds =
      row.role === 'admin'
        ? []
        : (
            await this.db
              .selectFrom('user_customers')
              .select('customer_id')
              .where('user_id', '=', row.id)
              .orderBy('customer_id')
              .execute()
          ).map((r) => r.customer_id);
    return { id: row.id, email: row.email, role: row.role, customerIds, createdAt: row.created_at };
  }
}
