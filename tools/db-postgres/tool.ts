// The db tool on PostgreSQL (pg), chosen by DATABASE_URL=postgres://…: the same
// methods, result shapes and values as tools/db-sqlite, so a plugin cannot tell
// which engine runs under it (values.ts says how each type comes back).
//
// Plugins write `?` for parameters (placeholders.ts turns them into $1…$n).
// Every statement goes through the extended protocol, one statement per call:
// `a; b` is refused by PostgreSQL, as SQLite's prepare refuses it.
//
// lastInsertId (db.proto's ExecuteResponse) has no rowid to come from here. For
// an INSERT without a RETURNING clause of its own, execute appends
// `RETURNING <key>`, the key being the table's primary key when it is a single
// integer column (read from the catalog, cached per table, forgotten after any
// DDL), and reports the key of the last row inserted. It is 0 for anything but
// an INSERT, for an INSERT that inserted nothing (ON CONFLICT DO NOTHING), and
// for a table without such a key. An INSERT with its own RETURNING run through
// execute keeps its clause: its rows are not returned (query returns them), and
// lastInsertId is the key of the last row when that clause returns the key
// column by its name, else 0.
//
// A transaction runs its statements on one pooled connection between BEGIN and
// COMMIT, and ROLLBACK at the first failure; PostgreSQL's READ COMMITTED keeps
// its rows from every other caller until COMMIT. A plugin's own BEGIN or COMMIT
// is refused: no connection is the plugin's between calls.
//
// Settings: DATABASE_URL; DATABASE_POOL_SIZE (default 10), the most connections
// the tool opens; a call waits for a free one; DATABASE_BUSY_TIMEOUT_MS (default
// 5000), as on SQLite how long a statement waits for another connection's lock
// before failing with MC_ERR_DB_BUSY (PostgreSQL's lock_timeout; the migration
// run's advisory lock waits without it).
import pg from 'pg';
import { durationMs, mcError, type CallContext, type JsRecord, type JsValue, type Plain, type ToolContext, type ToolMethods } from '../../kernel/index.ts';
import type { DescribeSchemaRequest, ExecuteRequest, QueryOneRequest, QueryRequest, TransactionRequest } from '../../proto/gen/microcore/v1/db_pb.js';
import { isPostgresUrl, poolSize, redactUrl } from '../db-common/database-url.ts';
import { CONNECT_TIMEOUT_MS, postgresPool } from '../db-common/postgres-pool.ts';
import { classifyDbError, isDriverError } from './errors.ts';
import { applyMigrations } from './migrations.ts';
import { SqlTextError, toPositional } from './placeholders.ts';
import { describeSchema } from './schema.ts';
import { statementShape, type StatementShape } from './statement-shape.ts';
import { bind, RESULT_TYPES } from './values.ts';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;
type Changes = { changes: bigint; lastInsertId: bigint };
type Rows = { columns: string[]; rows: JsRecord[] };

const SHAPE_CACHE = 500;

export default class PostgresDb implements ToolMethods<'db'> {
  static readonly contract = 'db';
  /** Chosen by DATABASE_URL=postgres://… (or postgresql://); tools/db-sqlite otherwise. */
  static enabled(env: ToolContext['env']): boolean {
    return isPostgresUrl(env.DATABASE_URL);
  }
  #pool?: pg.Pool;
  /** Table as written in an INSERT → its single integer key column, or null for none. */
  #keys = new Map<string, string | null>();
  #shapes = new Map<string, StatementShape>();

  async setup(ctx: ToolContext): Promise<void> {
    const url = ctx.env.DATABASE_URL!;
    const size = poolSize(ctx.env.DATABASE_POOL_SIZE, 'DATABASE_POOL_SIZE', 10);
    const busyTimeout = durationMs(ctx.env.DATABASE_BUSY_TIMEOUT_MS, 'DATABASE_BUSY_TIMEOUT_MS', 5_000, 'MC_ERR_TOOL_SETUP');
    // A call waits for a pooled connection as long as for a lock, then MC_ERR_DB_BUSY rather than a hang;
    // never less than opening a connection takes (pg's one timeout covers both), or a short busy timeout
    // would fail a busy machine's new connections.
    const connectWait = busyTimeout && Math.max(busyTimeout, CONNECT_TIMEOUT_MS);
    const pool = postgresPool({ connectionString: url, max: size, options: `-c lock_timeout=${busyTimeout}`, connectionTimeoutMillis: connectWait || undefined }, ctx.log, 'db');
    try {
      await pool.query('SELECT 1').catch((err: Error) => {
        throw mcError('MC_ERR_TOOL_SETUP', `cannot reach PostgreSQL at DATABASE_URL=${redactUrl(url)}: ${err.message}`, { setting: 'DATABASE_URL' }, err, 'Start the server, or fix the host, port, database, user or password in DATABASE_URL.');
      });
      await applyMigrations(pool, ctx.root, ctx.migrations, ctx.log);
    } catch (err) {
      await pool.end(); // a failed tool holds no connection open
      throw err;
    }
    this.#pool = pool;
  }

  query(input: Plain<QueryRequest>, call: CallContext) {
    return this.#run(call, 'query', input.sql, async () => rowsOf(await this.#query(this.#open(), toPositional(input.sql), input.params)));
  }

  queryOne(input: Plain<QueryOneRequest>, call: CallContext) {
    return this.#run(call, 'queryOne', input.sql, async () => {
      const row = (await this.#query(this.#open(), toPositional(input.sql), input.params)).rows[0] as JsRecord | undefined;
      return row ? { found: true, row } : { found: false, row: {} };
    });
  }

  execute(input: Plain<ExecuteRequest>, call: CallContext) {
    return this.#run(call, 'execute', input.sql, () => this.#execute(this.#open(), input.sql, input.params));
  }

  transaction(input: Plain<TransactionRequest>, call: CallContext) {
    let index = 0;
    return this.#run(call, 'transaction', () => input.statements[index]?.sql ?? '', async () => {
      const client = await this.#open().connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const results: (Rows | Changes)[] = [];
        for (const [i, s] of input.statements.entries()) {
          index = i;
          results.push(await this.#statement(client, s.sql, s.params));
        }
        await client.query('COMMIT');
        return { results };
      } catch (err) {
        await client.query('ROLLBACK').catch((e: Error) => (broken = e)); // a lost connection rolled back already
        throw err;
      } finally {
        client.release(broken); // an error destroys the connection rather than pooling it
      }
    }, () => String(index));
  }

  describeSchema(_input: Plain<DescribeSchemaRequest>, call: CallContext) {
    return this.#run(call, 'describeSchema', '', async () => ({ tables: await describeSchema(this.#open()) }));
  }

  async shutdown(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.end();
  }

  #open(): pg.Pool {
    if (!this.#pool) throw mcError('MC_ERR_TOOL_UNAVAILABLE', 'the db tool is not open');
    return this.#pool;
  }

  #query(q: Queryable, text: string, params: readonly JsValue[]): Promise<pg.QueryResult> {
    // PostgreSQL answers empty SQL with no rows; SQLite's prepare refuses it, and so does this driver.
    if (this.#shape(text).end === 0) throw new SqlTextError('the SQL is empty (only whitespace or comments)', 'Send one statement.');
    // A transaction left open would go back to the pool with the connection, to the next caller.
    const control = TRANSACTION_CONTROL.exec(text);
    if (control) throw new SqlTextError(`${control[1]!.toUpperCase()} controls a transaction, which no connection holds between calls`, 'Send the statements together through db.transaction, which runs them in one.');
    refuseOutsideTheDatabase(text);
    // extended: one statement per call, with or without parameters (the simple protocol would run `a; b`).
    return q.query({ text, values: bind(params), types: RESULT_TYPES, queryMode: 'extended' } as pg.QueryConfig);
  }

  /** A statement inside a transaction: rows when it returns rows (as SQLite's reader statements), else what execute says. */
  async #statement(q: Queryable, sql: string, params: readonly JsValue[]): Promise<Rows | Changes> {
    const text = toPositional(sql);
    const shape = this.#shape(text);
    if (shape.kind === 'insert' && !shape.returning) return this.#execute(q, sql, params);
    const result = await this.#query(q, text, params);
    this.#afterDdl(shape);
    if (result.fields.length > 0) return rowsOf(result);
    return { changes: BigInt(result.rowCount ?? 0), lastInsertId: 0n };
  }

  async #execute(q: Queryable, sql: string, params: readonly JsValue[], retried = false): Promise<Changes> {
    const text = toPositional(sql);
    const shape = this.#shape(text);
    const key = shape.kind === 'insert' && shape.table ? await this.#keyOf(q, shape.table) : null;
    const returning = key && !shape.returning ? `${text.slice(0, shape.end)} RETURNING ${pg.escapeIdentifier(key)}` : text;
    let result: pg.QueryResult;
    try {
      result = await this.#query(q, returning, params);
    } catch (err) {
      // The key we appended is gone (another kernel's migration renamed it): look it up again, once.
      // (Inside a transaction the failed statement has aborted it: the error stands there.)
      if (retried || returning === text || (err as { code?: string }).code !== '42703' || q !== this.#pool) throw err;
      this.#keys.delete(shape.table!);
      return this.#execute(q, sql, params, true);
    }
    this.#afterDdl(shape);
    const changes = BigInt(result.rowCount ?? 0);
    const last = key ? (result.rows.at(-1) as JsRecord | undefined)?.[key] : undefined;
    return { changes, lastInsertId: typeof last === 'bigint' ? last : 0n };
  }

  #shape(text: string): StatementShape {
    let shape = this.#shapes.get(text);
    if (!shape) {
      shape = statementShape(text);
      if (this.#shapes.size >= SHAPE_CACHE) this.#shapes.delete(this.#shapes.keys().next().value!);
      this.#shapes.set(text, shape);
    }
    return shape;
  }

  /** The single integer primary key column of `table` (as an INSERT names it), or null. */
  async #keyOf(q: Queryable, table: string): Promise<string | null> {
    let key = this.#keys.get(table);
    if (key === undefined) {
      const { rows } = await q.query<{ present: boolean; attname: string | null }>(
        `SELECT to_regclass($1) IS NOT NULL AS present, (SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
         WHERE i.indrelid = to_regclass($1) AND i.indisprimary AND i.indnkeyatts = 1 AND a.atttypid IN (20, 21, 23)) AS attname`,
        [table],
      );
      key = rows[0]?.attname ?? null;
      // A table that does not exist yet (another kernel may create it) is looked up again next time.
      if (rows[0]?.present) this.#keys.set(table, key);
    }
    return key;
  }

  /** DDL may add, drop or change a table's key: look keys up afresh after it. */
  #afterDdl(shape: StatementShape): void {
    if (shape.kind === 'other') this.#keys.clear();
  }

  /** Runs one call, turning PostgreSQL's errors into coded ones (errors.ts) that name the caller and the SQL. */
  async #run<T>(call: CallContext, method: string, sql: string | (() => string), work: () => Promise<T>, statementIndex?: () => string): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (!isDriverError(err)) throw err;
      const text = typeof sql === 'function' ? sql() : sql;
      const { code, details } = classifyDbError(err);
      details.sql = text;
      if (statementIndex) details.statement = statementIndex();
      const where = statementIndex ? ` (statement ${statementIndex()}, rolled back)` : '';
      const fix = 'fix' in err && typeof err.fix === 'string' ? err.fix : undefined;
      throw mcError(code, `db.${method} by ${call.caller} failed${where}: ${err.message} in ${JSON.stringify(text)}`, details, err, fix);
    }
  }
}

function rowsOf(result: pg.QueryResult): Rows {
  return { columns: result.fields.map((f) => f.name), rows: result.rows as JsRecord[] };
}


// Statements that reach past the project's database, or change the pooled
// connection under the next caller: files and programs (COPY), the server's
// configuration and libraries (ALTER SYSTEM, LOAD, extensions), roles and
// databases (cluster-wide), session state (SET, RESET, SET ROLE, DISCARD,
// LISTEN, and what outlives a call on its connection: DO blocks, which may
// EXECUTE any of these, prepared statements, cursors, temporary tables,
// set_config and session advisory locks, the last two wherever they stand in a
// statement). SET LOCAL, SET TRANSACTION and SET CONSTRAINTS, scoped to a
// transaction, stay open (not SET LOCAL ROLE or SESSION AUTHORIZATION). Functions called from a SELECT (pg_read_file …) are
// the role's privileges to refuse: run the kernel as a role that is not a
// superuser. Migrations, which the project owns, still may use these.
const LEADING = String.raw`^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*`;
const OUTSIDE = new RegExp(
  LEADING +
    String.raw`(COPY|ALTER\s+SYSTEM|LOAD|(?:CREATE|ALTER|DROP)\s+(?:EXTENSION|ROLE|USER|GROUP|DATABASE|TABLESPACE|SERVER|SUBSCRIPTION|PUBLICATION|FOREIGN\s+DATA\s+WRAPPER)|SET\s+(?:LOCAL\s+)?(?:ROLE|SESSION\s+AUTHORIZATION)|SET(?!\s+(?:LOCAL|TRANSACTION|CONSTRAINTS)\b)|RESET|DISCARD|LISTEN|UNLISTEN|DO|PREPARE(?!\s+TRANSACTION\b)|EXECUTE|DEALLOCATE|DECLARE|CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:TEMP|TEMPORARY)\b)\b`,
  'i',
);
const ANYWHERE = /\b(set_config|pg_advisory_lock|pg_advisory_lock_shared|pg_try_advisory_lock|pg_try_advisory_lock_shared)\s*\(/i;

const TRANSACTION_CONTROL = new RegExp(LEADING + String.raw`(BEGIN|COMMIT|END|ROLLBACK|ABORT|START\s+TRANSACTION|SAVEPOINT|RELEASE|PREPARE\s+TRANSACTION)\b`, 'i');

function refuseOutsideTheDatabase(sql: string): void {
  const m = OUTSIDE.exec(sql) ?? ANYWHERE.exec(sql);
  if (!m) return;
  const statement = m[1]!.toUpperCase().replace(/\s+/g, ' ');
  throw mcError('MC_ERR_CAP_DENIED', `${statement} is not open to plugins: it reaches past the project's database`, { statement }, undefined, 'Put it in a migration (domains/<domain>/migrations), which the project owns.');
}
