// The db tool on SQLite (better-sqlite3): WAL, foreign keys on, integers as
// bigint (safeIntegers) so an int64 comes back exact, blobs as bytes.
// better-sqlite3 is synchronous, so a transaction runs start to commit without
// yielding: no other caller can observe its uncommitted rows.
// Settings: DATABASE_PATH (default data/microcore.db, `:memory:` for none);
// DATABASE_BUSY_TIMEOUT_MS (default 5000), how long a statement waits for
// another connection's lock before failing with MC_ERR_DB_BUSY.
import Database, { type Database as Db, type Statement } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { durationMs, mcError, type CallContext, type JsRecord, type JsValue, type Plain, type ToolContext, type ToolMethods } from '../../kernel/index.ts';
import type { DescribeSchemaRequest, ExecuteRequest, QueryOneRequest, QueryRequest, TransactionRequest } from '../../proto/gen/microcore/v1/db_pb.js';
import { isPostgresUrl, redactUrl } from '../db-common/database-url.ts';
import { classifyDbError, isDriverError } from './errors.ts';
import { applyMigrations } from './migrations.ts';
import { describeSchema } from './schema.ts';
import { statementKind, type StatementKind } from '../db-common/split-sql.ts';


type Params = JsValue[];

const STATEMENT_CACHE = 500;

export default class SqliteDb implements ToolMethods<'db'> {
  static readonly contract = 'db';
  /** The default driver: no DATABASE_URL, or one that is not postgres:// (tools/db-postgres). */
  static enabled(env: ToolContext['env']): boolean {
    return !isPostgresUrl(env.DATABASE_URL);
  }
  #db?: Db;
  #statements = new Map<string, Statement>();

  setup(ctx: ToolContext): void {
    if (ctx.env.DATABASE_URL) throw mcError('MC_ERR_TOOL_SETUP', `DATABASE_URL=${redactUrl(ctx.env.DATABASE_URL)} names no db driver`, { setting: 'DATABASE_URL' }, undefined, 'Use postgres://user@host:port/database for PostgreSQL (tools/db-postgres), or unset it for SQLite (DATABASE_PATH).');
    const configured = ctx.env.DATABASE_PATH || 'data/microcore.db';
    const path = configured === ':memory:' || isAbsolute(configured) ? configured : join(ctx.root, configured);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const busyTimeout = durationMs(ctx.env.DATABASE_BUSY_TIMEOUT_MS, 'DATABASE_BUSY_TIMEOUT_MS', 5_000, 'MC_ERR_TOOL_SETUP');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${busyTimeout}`);
    db.defaultSafeIntegers(true);
    try {
      applyMigrations(db, ctx.root, ctx.migrations, ctx.log);
    } catch (err) {
      db.close(); // a failed tool holds no file open
      throw err;
    }
    this.#db = db;
  }

  query(input: Plain<QueryRequest>, call: CallContext) {
    return this.#run(call, 'query', input.sql, () => {
      const stmt = this.#prepare(input.sql);
      return { columns: columns(stmt), rows: stmt.all(...bind(input.params)) as JsRecord[] };
    });
  }

  queryOne(input: Plain<QueryOneRequest>, call: CallContext) {
    return this.#run(call, 'queryOne', input.sql, () => {
      const row = this.#prepare(input.sql).get(...bind(input.params)) as JsRecord | undefined;
      return row ? { found: true, row } : { found: false, row: {} };
    });
  }

  execute(input: Plain<ExecuteRequest>, call: CallContext) {
    return this.#run(call, 'execute', input.sql, () => this.#execute(input.sql, input.params));
  }

  transaction(input: Plain<TransactionRequest>, call: CallContext) {
    let index = 0;
    return this.#run(call, 'transaction', () => input.statements[index]?.sql ?? '', () => {
      const results = this.#open().transaction(() =>
        input.statements.map((s, i) => {
          index = i;
          const stmt = this.#prepare(s.sql);
          if (stmt.reader) return { columns: columns(stmt), rows: stmt.all(...bind(s.params)) as JsRecord[] };
          return this.#execute(s.sql, s.params);
        }),
      )();
      return { results };
    }, () => String(index));
  }

  describeSchema(_input: Plain<DescribeSchemaRequest>, call: CallContext) {
    return this.#run(call, 'describeSchema', '', () => ({ tables: describeSchema(this.#open()) }));
  }

  shutdown(): void {
    this.#statements.clear();
    this.#db?.close();
    this.#db = undefined;
  }

  #open(): Db {
    if (!this.#db) throw mcError('MC_ERR_TOOL_UNAVAILABLE', 'the db tool is not open');
    return this.#db;
  }

  // Preparing costs ~5× running a simple statement, and plugins send the same SQL
  // text again and again: keep the most recent statements, oldest out first.
  // (SQLite re-prepares a cached statement itself when the schema changes.)
  #prepare(sql: string): Statement {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      refuseOutsideTheDatabase(sql);
      stmt = this.#open().prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE) this.#statements.delete(this.#statements.keys().next().value!);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  #execute(sql: string, params: Params): { changes: bigint; lastInsertId: bigint } {
    const stmt = this.#prepare(sql);
    const result = stmt.run(...bind(params));
    // SQLite keeps the last rowid of any earlier INSERT, even across an UPDATE:
    // report it only for a statement that is an insert (db.proto, ExecuteResponse).
    const kind = result.changes > 0 ? kindOf(stmt, sql) : 'other';
    const inserted = kind === 'insert' || kind === 'replace';
    return { changes: BigInt(result.changes), lastInsertId: inserted ? BigInt(result.lastInsertRowid) : 0n };
  }

  /** Runs one call, turning SQLite's errors into coded ones (errors.ts) that name the caller and the SQL. */
  #run<T>(call: CallContext, method: string, sql: string | (() => string), work: () => T, statementIndex?: () => string): T {
    try {
      return work();
    } catch (err) {
      if (!isDriverError(err)) throw err;
      const text = typeof sql === 'function' ? sql() : sql;
      const { code, details } = classifyDbError(err, text);
      details.sql = text;
      if (statementIndex) details.statement = statementIndex();
      const where = statementIndex ? ` (statement ${statementIndex()}, rolled back)` : '';
      throw mcError(code, `db.${method} by ${call.caller} failed${where}: ${err.message} in ${JSON.stringify(text)}`, details, err);
    }
  }
}

function columns(stmt: Statement): string[] {
  return stmt.reader ? stmt.columns().map((c) => c.name) : [];
}

/** Values as better-sqlite3 binds them: bytes as Buffer, booleans as 0/1. */
function bind(params: Params): unknown[] {
  return params.map((p, i) => {
    if (p instanceof Uint8Array) return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    if (typeof p === 'boolean') return p ? 1n : 0n;
    if (p !== null && typeof p === 'object') throw mcError('MC_ERR_INVALID_ARGUMENT', `params[${i}] is a ${Array.isArray(p) ? 'list' : 'map'}, which SQL cannot bind`, { field: `params[${i}]` }, undefined, 'Bind null, booleans, numbers, bigints, strings or bytes; store lists and maps as JSON text.');
    return p;
  });
}

// Statements that reach past the project's database: ATTACH and VACUUM INTO write
// files anywhere the kernel may, PRAGMA changes how the kernel's connection
// behaves. Plugins (a sandboxed wasm module too) get SQL on their data, not these;
// migrations, which the project owns, still may use them.
const OUTSIDE = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*(ATTACH|DETACH|VACUUM|PRAGMA)\b/i;

// Tokenized once per prepared statement, which the cache above keeps.
const kinds = new WeakMap<Statement, StatementKind>();
function kindOf(stmt: Statement, sql: string): StatementKind {
  let kind = kinds.get(stmt);
  if (kind === undefined) kinds.set(stmt, (kind = statementKind(sql)));
  return kind;
}

function refuseOutsideTheDatabase(sql: string): void {
  const m = OUTSIDE.exec(sql);
  if (m) throw mcError('MC_ERR_CAP_DENIED', `${m[1]!.toUpperCase()} is not open to plugins: it reaches past the project's database`, { statement: m[1]!.toUpperCase() }, undefined, 'Put it in a migration (domains/<domain>/migrations), which the project owns.');
}
