// Db.DescribeSchema on PostgreSQL: the tables of the connection's current schema
// (the first of its search_path, `public` by default; not _microcore_*), their
// columns from pg_attribute, single-column unique indexes from pg_index, and the
// owner that created each table from the migration history.
//
// The one-word type says how the value comes back (values.ts), in SQLite's
// words for the same declared types: int2/int4/int8 integer, float4/float8
// real, numeric, boolean, dates, times and intervals numeric (SQLite's affinity
// for BOOLEAN, DATE, TIMESTAMP), bytea blob, everything else (text, varchar,
// json, uuid, enums, arrays) text. A domain is described by its base type.
// One difference stays visible: a primary key column is NOT NULL in PostgreSQL,
// so not_null is true for it (SQLite's INTEGER PRIMARY KEY reports false).
import type pg from 'pg';
import type { Plain } from '../../kernel/index.ts';
import type { ColumnSchema, TableSchema } from '../../proto/gen/microcore/v1/db_pb.js';
import type { ColumnType } from '../db-sqlite/schema.ts';

const TYPES: Record<string, ColumnType> = {
  int2: 'integer', int4: 'integer', int8: 'integer', oid: 'integer',
  float4: 'real', float8: 'real',
  numeric: 'numeric', bool: 'numeric', date: 'numeric', time: 'numeric', timetz: 'numeric', timestamp: 'numeric', timestamptz: 'numeric', interval: 'numeric',
  bytea: 'blob',
};

interface ColumnRow {
  table_name: string;
  name: string;
  type_name: string;
  not_null: boolean;
  default_value: string | null;
  primary_key: boolean;
  unique: boolean;
}

const COLUMNS = `
SELECT c.relname AS table_name, a.attname AS name,
       bt.typname AS type_name,
       a.attnotnull AS not_null,
       CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END AS default_value,
       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY (i.indkey)) AS primary_key,
       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique AND NOT i.indisprimary
                 AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum AND i.indpred IS NULL AND i.indexprs IS NULL) AS unique
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE '\\_microcore\\_%'
ORDER BY c.relname, a.attnum`;

export async function describeSchema(q: Pick<pg.Pool, 'query'>): Promise<Plain<TableSchema>[]> {
  const owners = await tableOwners(q);
  const { rows } = await q.query<ColumnRow>(COLUMNS);
  const tables = new Map<string, Plain<ColumnSchema>[]>();
  for (const r of rows) {
    let columns = tables.get(r.table_name);
    if (!columns) tables.set(r.table_name, (columns = []));
    columns.push({ name: r.name, type: TYPES[r.type_name] ?? 'text', notNull: r.not_null, primaryKey: r.primary_key, defaultValue: literal(r.default_value ?? ''), unique: r.unique });
  }
  return [...tables.keys()]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => ({ name, owner: owners.get(name) ?? '', columns: tables.get(name)! }));
}

// PostgreSQL prints a string default with its type, 'draft'::text; the contract's
// default is the SQL as written (SQLite's 'draft'), so a literal's cast goes.
const CAST_LITERAL = /^('(?:[^']|'')*')::[a-z][a-z ]*(?:\(\d+(?:,\d+)?\))?$/;

function literal(expr: string): string {
  return expr.replace(CAST_LITERAL, '$1');
}

/** Table name -> the owner whose migration created it last, from the history (none yet: no owners). */
async function tableOwners(q: Pick<pg.Pool, 'query'>): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  const exists = await q.query<{ t: string | null }>("SELECT to_regclass('_microcore_migrations')::text AS t");
  if (!exists.rows[0]?.t) return owners;
  const { rows } = await q.query<{ owner: string; tables: string }>('SELECT owner, tables FROM _microcore_migrations ORDER BY seq');
  for (const r of rows) for (const t of JSON.parse(r.tables) as string[]) owners.set(t, r.owner);
  return owners;
}
