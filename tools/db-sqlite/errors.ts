// SQLite's failures as the contract's fixed set of kinds, so a plugin branches
// on the code the same way in every hosting: unique (MC_ERR_DB_UNIQUE),
// constraint (MC_ERR_DB_CONSTRAINT), busy (MC_ERR_DB_BUSY), query
// (MC_ERR_DB_QUERY). The facts SQLite's message holds (table, columns, the
// CHECK that failed) go into details, so nobody parses the message again.
import Database from 'better-sqlite3';
import { CODE_OF_KIND, type DbErrorKind, type DbFailure } from '../db-common/error-kinds.ts';

/** An error better-sqlite3 raises for SQL: SqliteError, or RangeError / TypeError for SQL it cannot prepare or bind. */
export type DriverError = InstanceType<typeof Database.SqliteError> | RangeError | TypeError;

export function isDriverError(err: unknown): err is DriverError {
  return err instanceof Database.SqliteError || err instanceof RangeError || err instanceof TypeError;
}

/** The kind of a driver error and what its message says; `sql` names the table when the message does not. */
export function classifyDbError(err: DriverError, sql: string): DbFailure {
  const sqliteCode = err instanceof Database.SqliteError ? err.code : err.name;
  const kind = kindOf(sqliteCode);
  const details: Record<string, string> = { kind, sqliteCode, ...parseMessage(err.message) };
  if ((kind === 'unique' || kind === 'constraint') && !details.table) {
    const target = targetTable(sql);
    if (target) details.table = target;
  }
  return { kind, code: CODE_OF_KIND[kind], details };
}

function kindOf(sqliteCode: string): DbErrorKind {
  if (sqliteCode === 'SQLITE_CONSTRAINT_UNIQUE' || sqliteCode === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'unique';
  if (sqliteCode.startsWith('SQLITE_CONSTRAINT')) return 'constraint';
  if (sqliteCode.startsWith('SQLITE_BUSY') || sqliteCode.startsWith('SQLITE_LOCKED')) return 'busy';
  return 'query';
}

// SQLite's messages (sqlite3.c): "UNIQUE constraint failed: users.email" (or
// "t.a, t.b", or "index 'name'" for an index on expressions), "NOT NULL
// constraint failed: t.c", "CHECK constraint failed: <name or expression>",
// "cannot store TEXT value in INTEGER column t.c" (STRICT tables).
const COLUMNS_FAILED = /^(?:UNIQUE|NOT NULL) constraint failed: (.+)$/;
const INDEX_FAILED = /^UNIQUE constraint failed: index '(.+)'$/;
const CHECK_FAILED = /^CHECK constraint failed: (.+)$/;
const DATATYPE = /^cannot store \w+ value in \w+ column (.+)$/;

function parseMessage(message: string): Record<string, string> {
  const index = INDEX_FAILED.exec(message);
  if (index) return { constraint: index[1]! };
  const check = CHECK_FAILED.exec(message);
  if (check) return { constraint: check[1]! };
  const columns = COLUMNS_FAILED.exec(message) ?? DATATYPE.exec(message);
  if (!columns) return {};
  const qualified = columns[1]!.split(', ').map((c) => {
    const dot = c.lastIndexOf('.');
    return { table: c.slice(0, dot), column: c.slice(dot + 1) };
  });
  return { table: qualified[0]!.table, columns: qualified.map((q) => q.column).join(',') };
}

const LEADING = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/;
const NAME = String.raw`("(?:[^"]|"")+"|\`[^\`]+\`|\[[^\]]+\]|[\w$]+)`;
const TARGET = new RegExp(String.raw`^(?:(?:INSERT|REPLACE)(?:\s+OR\s+\w+)?\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+(?:${NAME}\s*\.\s*)?${NAME}`, 'i');

/** The table an INSERT, REPLACE, UPDATE or DELETE writes, unquoted; undefined for anything else. */
function targetTable(sql: string): string | undefined {
  const m = TARGET.exec(sql.replace(LEADING, ''));
  if (!m) return undefined;
  const name = m[2]!;
  if (name.startsWith('"')) return name.slice(1, -1).replaceAll('""', '"');
  if (name.startsWith('`') || name.startsWith('[')) return name.slice(1, -1);
  return name;
}
