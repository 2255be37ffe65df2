// The state tool on PostgreSQL, chosen with the db's DATABASE_URL=postgres://…:
// several kernels sharing one database see one store, where the in-memory tool
// would give each process its own. Same contract and namespacing as tools/state:
// a key belongs to its caller. Values are stored as the contract's Value in
// protobuf bytes, so an int64 or bytes come back exact. Expiry is judged by the
// database's clock (one clock for every kernel) when read, and expired rows are
// deleted by a sweep once a minute.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import pg from 'pg';
import { durationMs, jsToValue, mcError, valueToJs, type CallContext, type Plain, type ToolContext, type ToolMethods } from '../../kernel/index.ts';
import type { StateDeleteRequest, StateGetRequest, StateSetRequest } from '../../proto/gen/microcore/v1/state_pb.js';
import { ValueSchema } from '../../proto/gen/microcore/v1/value_pb.js';
import { isPostgresUrl, poolSize, redactUrl } from '../db-common/database-url.ts';
import { CONNECT_TIMEOUT_MS, createTableOnce, postgresPool } from '../db-common/postgres-pool.ts';
import { checkKey } from '../state/tool.ts';

const TABLE = '_microcore_state';
// How long a call waits for a connection (pool full, server unreachable) before failing.
const SWEEP_MS = 60_000;
// Held while creating the table (createTableOnce).
const CREATE_LOCK = 0x6d63_7374; // 'mcst'

export default class PostgresState implements ToolMethods<'state'> {
  static readonly contract = 'state';
  static enabled(env: ToolContext['env']): boolean {
    return isPostgresUrl(env.DATABASE_URL);
  }
  #pool?: pg.Pool;
  #sweep?: NodeJS.Timeout;

  async setup(ctx: ToolContext): Promise<void> {
    const url = ctx.env.DATABASE_URL!;
    const pool = postgresPool({ connectionString: url, max: poolSize(ctx.env.STATE_POOL_SIZE, 'STATE_POOL_SIZE', 4), connectionTimeoutMillis: CONNECT_TIMEOUT_MS }, ctx.log, 'state');
    try {
      await createTableOnce(pool, CREATE_LOCK, `CREATE TABLE IF NOT EXISTS ${TABLE} (owner text NOT NULL, key text NOT NULL, value bytea NOT NULL, expires_at timestamptz, PRIMARY KEY (owner, key))`);
    } catch (err) {
      await pool.end().catch(() => {});
      throw mcError('MC_ERR_TOOL_SETUP', `the state tool cannot use PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}`, { setting: 'DATABASE_URL' }, err, 'Start the server or fix DATABASE_URL (postgres://user:password@host:port/database); the role needs CREATE on the database.');
    }
    this.#pool = pool;
    const sweepMs = durationMs(ctx.env.STATE_SWEEP_MS, 'STATE_SWEEP_MS', SWEEP_MS, 'MC_ERR_TOOL_SETUP');
    this.#sweep = setInterval(() => {
      pool.query(`DELETE FROM ${TABLE} WHERE expires_at <= now()`).catch((err: Error) => ctx.log.warn('state: the expiry sweep failed', { error: err.message }));
    }, sweepMs).unref();
  }

  async get(input: Plain<StateGetRequest>, call: CallContext) {
    checkKey(input.key, call, 'get');
    const { rows } = await this.#query<{ value: Buffer }>(call, 'get',`SELECT value FROM ${TABLE} WHERE owner = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > now())`, [call.caller, input.key]);
    if (!rows.length) return { found: false, value: null };
    // A plain Uint8Array view: bytes inside the value then come back as Uint8Array, not Buffer, as from the other store.
    const stored = rows[0]!.value;
    return { found: true, value: valueToJs(fromBinary(ValueSchema, new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength)), `state ${input.key}`) };
  }

  async set(input: Plain<StateSetRequest>, call: CallContext) {
    const ttl = durationMs(input.ttlMs, `${call.caller} state.set ttlMs`, 0, 'MC_ERR_INVALID_ARGUMENT', Number.MAX_SAFE_INTEGER);
    checkKey(input.key, call, 'set');
    const bytes = toBinary(ValueSchema, jsToValue(input.value ?? null, `${call.caller} state.set value`));
    await this.#query(call, 'set',
      `INSERT INTO ${TABLE} (owner, key, value, expires_at) VALUES ($1, $2, $3, CASE WHEN $4::bigint > 0 THEN now() + $4::bigint * interval '1 millisecond' END)
       ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      [call.caller, input.key, Buffer.from(bytes), String(ttl)],
    );
    return {};
  }

  async delete(input: Plain<StateDeleteRequest>, call: CallContext) {
    // An expired row still in the table was already gone for a reader: not "deleted".
    checkKey(input.key, call, 'delete');
    const { rows } = await this.#query<{ live: boolean }>(call, 'delete', `DELETE FROM ${TABLE} WHERE owner = $1 AND key = $2 RETURNING expires_at IS NULL OR expires_at > now() AS live`, [call.caller, input.key]);
    return { deleted: rows[0]?.live === true };
  }

  async shutdown(): Promise<void> {
    clearInterval(this.#sweep);
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.end();
  }

  /** A query of one call; PostgreSQL's failures (a lost server, a full pool) as a coded error naming the setting. */
  async #query<R extends pg.QueryResultRow>(call: CallContext, method: string, sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    if (!this.#pool) throw mcError('MC_ERR_TOOL_UNAVAILABLE', 'the state tool is not open');
    try {
      return await this.#pool.query<R>(sql, params);
    } catch (err) {
      throw mcError('MC_ERR_TOOL_UNAVAILABLE', `state.${method} by ${call.caller}: PostgreSQL failed: ${(err as Error).message}`, { setting: 'DATABASE_URL' }, err, 'Check that PostgreSQL at DATABASE_URL is up and STATE_POOL_SIZE is large enough; the call can be retried.');
    }
  }
}
