import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * Device counts the database keeps as devices change, so the token list, the state tabs and
 * the summaries read a few rows instead of counting a million devices per request.
 *
 * One row per (token, customer, site, enrollment state, Apple profile status, current) with its
 * number of devices; "current" is still on its token in ABM (removed_at is null). Null keys are
 * stored as '' so the key can be the primary key.
 *
 * Triggers keep the rows, not application code: every writer of `devices` — the sync, the
 * enrollment, token moves and deletions, a customer's deletion through its foreign key — is
 * counted in its own transaction without having to remember to. SQLite counts row by row;
 * PostgreSQL once per statement from its transition tables, summing a page's thousand rows
 * into a few upserts taken in key order (so concurrent writers lock count rows in one order).
 *
 * Also: the reconciliation after a full fetch looks for a token's current devices that fetch
 * did not see; an index on (token, fetch run) of current devices finds exactly those instead
 * of reading all of the token's rows, and replaces the index on current devices per token,
 * whose only other reader (counting) now reads these rows.
 */
const KEY = ['abm_token_id', 'customer_id', 'site_id', 'enrollment_state', 'profile_status', 'is_current'] as const;

function keyOf(row: string, current: string): string {
  return [
    `coalesce(${row}.abm_token_id, '')`,
    `coalesce(${row}.customer_id, '')`,
    `coalesce(${row}.site_id, '')`,
    `${row}.enrollment_state`,
    `coalesce(${row}.profile_status, '')`,
    current,
  ].join(', ');
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('device_counts')
    .addColumn('abm_token_id', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('site_id', 'text', (c) => c.notNull())
    .addColumn('enrollment_state', 'text', (c) => c.notNull())
    .addColumn('profile_status', 'text', (c) => c.notNull())
    .addColumn('is_current', 'integer', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('device_counts_pkey', [...KEY])
    .execute();
  // Summaries of one customer or one site.
  await db.schema.createIndex('device_counts_customer_idx').on('device_counts').column('customer_id').execute();
  await db.schema.createIndex('device_counts_site_idx').on('device_counts').column('site_id').execute();

  const columns = KEY.join(', ');
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  if (postgres) await postgresTriggers(db, columns);
  else await sqliteTriggers(db, columns);

  await sql`insert into device_counts (${sql.raw(columns)}, n)
    select ${sql.raw(keyOf('devices', postgres ? '(devices.removed_at is null)::integer' : '(devices.removed_at is null)'))}, count(*)
    from devices group by 1, 2, 3, 4, 5, 6`.execute(db);

  await db.schema.dropIndex('devices_current_idx').execute();
  await db.schema
    .createIndex('devices_unseen_idx')
    .on('devices')
    .columns(['abm_token_id', 'fetch_run'])
    .where(sql.ref('removed_at'), 'is', null)
    .execute();
}

async function sqliteTriggers(db: Kysely<unknown>, columns: string): Promise<void> {
  const add = (row: 'new' | 'old', delta: '+ 1' | '- 1') =>
    `insert into device_counts (${columns}, n) values (${keyOf(row, `(${row}.removed_at is null)`)}, ${delta === '+ 1' ? 1 : -1})
     on conflict (${columns}) do update set n = n ${delta};`;
  await sql
    .raw(`create trigger devices_count_insert after insert on devices begin ${add('new', '+ 1')} end`)
    .execute(db);
  await sql
    .raw(`create trigger devices_count_delete after delete on devices begin ${add('old', '- 1')} end`)
    .execute(db);
  // Every sync write sets these columns, mostly to what they were: WHEN keeps those free.
  await sql
    .raw(
      `create trigger devices_count_update
       after update of abm_token_id, customer_id, site_id, enrollment_state, profile_status, removed_at on devices
       when old.abm_token_id is not new.abm_token_id or old.customer_id is not new.customer_id
         or old.site_id is not new.site_id or old.enrollment_state is not new.enrollment_state
         or old.profile_status is not new.profile_status or (old.removed_at is null) <> (new.removed_at is null)
       begin ${add('old', '- 1')} ${add('new', '+ 1')} end`,
    )
    .execute(db);
}

async function postgresTriggers(db: Kysely<unknown>, columns: string): Promise<void> {
  const rows = (table: string, sign: string) =>
    `select ${keyOf(table, `(${table}.removed_at is null)::integer`)}, ${sign} from ${table}`;
  const upsert = (source: string) =>
    `insert into device_counts (${columns}, n)
     select ${columns}, sum(delta) from (${source}) as changed (${columns}, delta)
     group by ${columns} having sum(delta) <> 0 order by ${columns}
     on conflict (${columns}) do update set n = device_counts.n + excluded.n;`;
  await sql
    .raw(
      `create function devices_count_changes() returns trigger language plpgsql as $$
       begin
         if tg_op = 'INSERT' then
           ${upsert(rows('new_rows', '1'))}
         elsif tg_op = 'DELETE' then
           ${upsert(rows('old_rows', '-1'))}
         else
           ${upsert(`${rows('new_rows', '1')} union all ${rows('old_rows', '-1')}`)}
         end if;
         return null;
       end $$`,
    )
    .execute(db);
  // One trigger per event: PostgreSQL allows transition tables only on single-event triggers.
  const events = [
    ['insert', 'new table as new_rows'],
    ['update', 'old table as old_rows new table as new_rows'],
    ['delete', 'old table as old_rows'],
  ] as const;
  for (const [event, tables] of events) {
    await sql
      .raw(
        `create trigger devices_count_${event} after ${event} on devices referencing ${tables}
         for each statement execute function devices_count_changes()`,
      )
      .execute(db);
  }
}
