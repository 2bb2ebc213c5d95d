import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Lets abm_tokens point at (site, customer) together, so the database itself guarantees
  // a token's site belongs to its customer.
  await db.schema.createIndex('sites_id_customer_unique').on('sites').columns(['id', 'customer_id']).unique().execute();

  await db.schema
    .createTable('abm_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull().references('customers.id').onDelete('restrict'))
    .addColumn('site_id', 'text', (c) => c.notNull())
    .addColumn('dep_base_url', 'text', (c) => c.notNull())
    .addColumn('credentials_secret_id', 'text', (c) => c.references('secrets.id').onDelete('restrict'))
    .addColumn('server_name', 'text')
    // One ABM MDM server, one owner: the unique index refuses a second token for it even
    // when two uploads race.
    .addColumn('server_uuid', 'text', (c) => c.unique())
    .addColumn('org_name', 'text')
    .addColumn('org_email', 'text')
    .addColumn('admin_id', 'text')
    .addColumn('expires_at', 'text')
    .addColumn('apple_issue', 'text', (c) =>
      c.check(sql`apple_issue in ('terms_not_accepted', 'rejected', 'unreachable')`),
    )
    .addColumn('apple_issue_detail', 'text')
    .addColumn('apple_issue_at', 'text')
    .addColumn('connected_at', 'text')
    .addColumn('last_sync_at', 'text')
    .addColumn('last_sync_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addForeignKeyConstraint('abm_tokens_site_fk', ['site_id', 'customer_id'], 'sites', ['id', 'customer_id'], (fk) =>
      fk.onDelete('restrict'),
    )
    // A connected token has its server; an awaiting one has none of it.
    .addCheckConstraint(
      'abm_tokens_connected_shape',
      sql`(credentials_secret_id is null and server_uuid is null) or (credentials_secret_id is not null and server_uuid is not null and connected_at is not null)`,
    )
    .execute();
  await db.schema
    .createIndex('abm_tokens_customer_site_idx')
    .on('abm_tokens')
    .columns(['customer_id', 'site_id'])
    .execute();
  await db.schema.createIndex('abm_tokens_site_idx').on('abm_tokens').column('site_id').execute();

  await db.schema
    .createTable('abm_token_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_id', 'text', (c) => c.notNull().references('abm_tokens.id').onDelete('cascade'))
    .addColumn('slot', 'text', (c) => c.notNull().check(sql`slot in ('current', 'staged')`))
    .addColumn('certificate_pem', 'text', (c) => c.notNull())
    .addColumn('private_key_secret_id', 'text', (c) => c.notNull().references('secrets.id').onDelete('restrict'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('abm_token_keys_slot_unique', ['token_id', 'slot'])
    .execute();
}
