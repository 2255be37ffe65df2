// Db.DescribeSchema on SQLite: the tables (not sqlite_* nor _microcore_*),
// their columns from PRAGMA table_xinfo, single-column unique indexes from
// PRAGMA index_list / index_info, and the owner that created each table from
// the migration history (migrations.ts records the tables each file created).
import type { Database } from 'better-sqlite3';
import type { Plain } from '../../kernel/index.ts';
import type { ColumnSchema, TableSchema } from '../../proto/gen/microcore/v1/db_pb.js';

export const COLUMN_TYPES = ['integer', 'real', 'text', 'blob', 'numeric', 'any'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/**
 * SQLite's affinity rules (datatype3.html, 3.1), in their order. Two departures,
 * both to say what a column holds rather than how SQLite names it: no declared
 * type is `any` (SQLite calls that BLOB affinity, which converts nothing), and so
 * is ANY in a STRICT table (in an ordinary table ANY is just NUMERIC).
 */
export function columnType(declared: string, strict: boolean): ColumnType {
  const t = declared.toUpperCase();
  if (t === '' || (strict && t === 'ANY')) return 'any';
  if (t.includes('INT')) return 'integer';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'text';
  if (t.includes('BLOB')) return 'blob';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'real';
  return 'numeric';
}

interface TableRow { name: string; strict: number }
interface ColumnRow { cid: number; name: string; type: string; notnull: number; dflt_value: string | null; pk: number; hidden: number }
interface IndexRow { name: string; unique: number; origin: string; partial: number }

export function describeSchema(db: Database): Plain<TableSchema>[] {
  const owners = tableOwners(db);
  const tables = db
    .prepare("SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_microcore\\_%' ESCAPE '\\'")
    .safeIntegers(false)
    .all() as TableRow[];
  return tables
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((t) => ({ name: t.name, owner: owners.get(t.name) ?? '', columns: columnsOf(db, t) }));
}

function columnsOf(db: Database, table: TableRow): Plain<ColumnSchema>[] {
  const unique = uniqueColumns(db, table.name);
  // hidden 1 is a virtual table's hidden column; 2 and 3 are generated columns, which a query can read.
  const rows = (db.prepare('SELECT * FROM pragma_table_xinfo(?)').safeIntegers(false).all(table.name) as ColumnRow[]).filter((c) => c.hidden !== 1);
  return rows.map((c) => ({
    name: c.name,
    type: columnType(c.type, table.strict === 1),
    notNull: c.notnull === 1,
    primaryKey: c.pk > 0,
    defaultValue: c.dflt_value ?? '',
    unique: unique.has(c.cid),
  }));
}

/** Column ids that a UNIQUE constraint or a full (not partial) unique index covers alone. */
function uniqueColumns(db: Database, table: string): Set<number> {
  const out = new Set<number>();
  const indexes = db.prepare('SELECT name, "unique", origin, partial FROM pragma_index_list(?)').safeIntegers(false).all(table) as IndexRow[];
  for (const index of indexes) {
    if (index.unique !== 1 || index.origin === 'pk' || index.partial === 1) continue;
    const cols = db.prepare('SELECT cid FROM pragma_index_info(?)').safeIntegers(false).all(index.name) as { cid: number }[];
    // cid -2 is an expression, which is not a column.
    if (cols.length === 1 && cols[0]!.cid >= 0) out.add(cols[0]!.cid);
  }
  return out;
}

/** Table name -> the owner whose migration created it last, from the history. */
function tableOwners(db: Database): Map<string, string> {
  const owners = new Map<string, string>();
  const rows = db.prepare('SELECT owner, tables FROM _microcore_migrations ORDER BY rowid').all() as { owner: string; tables: string }[];
  for (const r of rows) for (const t of JSON.parse(r.tables) as string[]) owners.set(t, r.owner);
  return owners;
}
