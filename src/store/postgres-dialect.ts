/**
 * Kysely's PostgreSQL dialect with an introspector that looks at Orchard's own schema only.
 *
 * Kysely's introspector lists the tables of every schema in the database, keeping those that
 * pass has_schema_privilege(name). A schema dropped by someone else between that catalog scan
 * and the check (another app, another instance's tests, a tenant being removed) makes the check
 * fail with "schema … does not exist", and with it the migrator, which only wanted to know
 * whether its own tables exist: a third of the calls failed while another connection created
 * and dropped schemas (`test/store/migrations.postgres.test.ts`). The migrator is Orchard's
 * only user of introspection, and it works in the connection's current schema.
 */
import {
  PostgresDialect,
  sql,
  type ColumnMetadata,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type Kysely,
  type SchemaMetadata,
  type TableMetadata,
} from 'kysely';

export class OrchardPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db);
  }
}

interface ColumnRow {
  table_name: string;
  schema: string;
  is_view: boolean;
  column_name: string;
  data_type: string;
  data_type_schema: string;
  is_nullable: boolean;
  has_default: boolean;
  auto_incrementing: boolean;
}

class CurrentSchemaIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<unknown>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string | null }>`select current_schema() as name`.execute(this.db);
    return rows.flatMap((row) => (row.name === null ? [] : [{ name: row.name }]));
  }

  /** Every table and view of the current schema, Kysely's own included (the migrator's are). */
  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<ColumnRow>`
      select c.relname as table_name, ns.nspname as schema, c.relkind = 'v' as is_view,
        a.attname as column_name, t.typname as data_type, tns.nspname as data_type_schema,
        not a.attnotnull as is_nullable, a.atthasdef as has_default,
        a.attidentity <> '' or pg_get_serial_sequence(
          quote_ident(ns.nspname) || '.' || quote_ident(c.relname), a.attname) is not null as auto_incrementing
      from pg_catalog.pg_class c
      join pg_catalog.pg_namespace ns on ns.oid = c.relnamespace
      join pg_catalog.pg_attribute a on a.attrelid = c.oid
      join pg_catalog.pg_type t on t.oid = a.atttypid
      join pg_catalog.pg_namespace tns on tns.oid = t.typnamespace
      where ns.nspname = current_schema() and c.relkind in ('r', 'v', 'p')
        and a.attnum >= 0 and not a.attisdropped
      order by c.relname, a.attnum`.execute(this.db);
    const tables = new Map<string, TableMetadata & { columns: ColumnMetadata[] }>();
    for (const row of rows) {
      let table = tables.get(row.table_name);
      if (table === undefined) {
        table = { name: row.table_name, schema: row.schema, isView: row.is_view, columns: [] };
        tables.set(row.table_name, table);
      }
      table.columns.push({
        name: row.column_name,
        dataType: row.data_type,
        dataTypeSchema: row.data_type_schema,
        isNullable: row.is_nullable,
        hasDefaultValue: row.has_default,
        isAutoIncrementing: row.auto_incrementing,
      });
    }
    return [...tables.values()];
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}
