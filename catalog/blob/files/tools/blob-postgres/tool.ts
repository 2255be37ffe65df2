// The blob tool on PostgreSQL, chosen with the db's DATABASE_URL=postgres://…:
// every kernel on the database shares one store (the directory driver,
// tools/blob, is one machine's). One row per blob in _microcore_blobs, the
// bytes in a bytea stored EXTERNAL (uncompressed, out of line), so a ranged
// Get reads only the chunks it needs (substring on a TOASTed value). Keys
// sort COLLATE "C" (UTF-8 byte order), the directory driver's List order. The
// rules, limits and answers are tools/blob/rules.ts's, as on the directory.
import pg from 'pg';
import { mcError, type CallContext, type Plain, type ToolContext, type ToolMethods } from '../../kernel/index.ts';
import type { BlobDeleteRequest, BlobGetRequest, BlobListRequest, BlobPutRequest } from '../../proto/gen/microcore/v1/blob_pb.js';
import { isPostgresUrl, poolSize, redactUrl } from '../db-common/database-url.ts';
import { CONNECT_TIMEOUT_MS, createTableOnce, postgresPool } from '../db-common/postgres-pool.ts';
import { blobLimits, checkKey, checkListText, checkSize, contentType, folderConflict, listLimit, parentKeys, readRange, sha256, type BlobLimits } from '../blob/rules.ts';

const TABLE = '_microcore_blobs';
// Held while creating the table (createTableOnce), and as the class of the per-folder Put lock.
const LOCK = 0x6d63_626c; // 'mcbl'

export default class PostgresBlob implements ToolMethods<'blob'> {
  static readonly contract = 'blob';
  static enabled(env: ToolContext['env']): boolean {
    return isPostgresUrl(env.DATABASE_URL);
  }
  #pool?: pg.Pool;
  #limits!: BlobLimits;

  async setup(ctx: ToolContext): Promise<void> {
    this.#limits = blobLimits(ctx.env);
    const url = ctx.env.DATABASE_URL!;
    const pool = postgresPool({ connectionString: url, max: poolSize(ctx.env.BLOB_POOL_SIZE, 'BLOB_POOL_SIZE', 4), connectionTimeoutMillis: CONNECT_TIMEOUT_MS }, ctx.log, 'blob');
    try {
      await createTableOnce(
        pool,
        LOCK,
        `CREATE TABLE IF NOT EXISTS ${TABLE} (key text COLLATE "C" PRIMARY KEY, size bigint NOT NULL, sha256 text NOT NULL, content_type text NOT NULL, modified_ms bigint NOT NULL, data bytea NOT NULL);
         ALTER TABLE ${TABLE} ALTER COLUMN data SET STORAGE EXTERNAL`,
      );
    } catch (err) {
      await pool.end().catch(() => {});
      throw mcError('MC_ERR_TOOL_SETUP', `the blob tool cannot use PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}`, { setting: 'DATABASE_URL' }, err, 'Start the server or fix DATABASE_URL (postgres://user:password@host:port/database); the role needs CREATE on the database.');
    }
    this.#pool = pool;
  }

  async put(input: Plain<BlobPutRequest>, call: CallContext) {
    const segments = checkKey(input.key, call, 'put');
    const type = contentType(input.contentType, call, input.key);
    checkSize(input.data, this.#limits, call, input.key);
    const digest = sha256(input.data);
    await this.#transaction(call, 'put', async (client) => {
      // Keys in a blob/folder clash share their first segment: lock that, so two Puts cannot both pass the checks.
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK, segments[0]]);
      const parents = parentKeys(segments);
      if (parents.length) {
        const { rows } = await client.query<{ key: string }>(`SELECT key FROM ${TABLE} WHERE key = ANY($1::text[]) ORDER BY length(key) LIMIT 1`, [parents]);
        if (rows.length) throw folderConflict(input.key, call, rows[0]!.key);
      }
      // Keys inside "k/" sort between "k/" and "k0" ('0' follows '/').
      const inside = await client.query(`SELECT 1 FROM ${TABLE} WHERE key > $1 AND key < $2 LIMIT 1`, [`${input.key}/`, `${input.key}0`]);
      if (inside.rows.length) throw folderConflict(input.key, call);
      await client.query(
        `INSERT INTO ${TABLE} (key, size, sha256, content_type, modified_ms, data) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (key) DO UPDATE SET size = excluded.size, sha256 = excluded.sha256, content_type = excluded.content_type, modified_ms = excluded.modified_ms, data = excluded.data`,
        [input.key, String(input.data.length), digest, type, String(Date.now()), Buffer.from(input.data.buffer, input.data.byteOffset, input.data.byteLength)],
      );
    });
    return { size: BigInt(input.data.length), sha256: digest };
  }

  async get(input: Plain<BlobGetRequest>, call: CallContext) {
    checkKey(input.key, call, 'get');
    const max = this.#limits.maxRead;
    // A negative offset or length is refused whatever the size.
    if (input.offset < 0n || input.length < 0n) readRange(input, 0, this.#limits, call, input.key);
    // Within int4 (substring's) yet past any blob (BLOB_MAX_BYTES ≤ 512 MiB): a plan folding the constants must not overflow.
    const offset = input.offset > 1n << 30n ? 1n << 30n : input.offset;
    const length = input.length > BigInt(max) ? BigInt(max) : input.length;
    // One statement, so the range and the metadata come from one version of the row; a range
    // readRange will refuse is not read (NULL).
    const { rows } = await this.#query<{ size: string; sha256: string; content_type: string; data: Buffer | null }>(
      call,
      'get',
      `SELECT size, sha256, content_type,
              CASE WHEN $2::bigint > size OR ($3::bigint = 0 AND size - $2::bigint > $4::bigint) THEN NULL
                   ELSE substring(data FROM ($2::bigint + 1)::int FOR (CASE WHEN $3::bigint = 0 THEN size - $2::bigint ELSE least($3::bigint, $4::bigint) END)::int) END AS data
         FROM ${TABLE} WHERE key = $1`,
      [input.key, String(offset), String(length), String(max)],
    );
    const row = rows[0];
    if (!row) return { found: false, data: new Uint8Array(), contentType: '', size: 0n, sha256: '' };
    const size = Number(row.size);
    const range = readRange(input, size, this.#limits, call, input.key);
    const data = row.data ?? Buffer.alloc(0);
    if (data.length !== range.length) throw mcError('MC_ERR_INTERNAL', `blob.get ${JSON.stringify(input.key)}: PostgreSQL answered ${data.length} bytes where ${range.length} were due`, { key: input.key });
    return { found: true, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), contentType: row.content_type, size: BigInt(size), sha256: row.sha256 };
  }

  async list(input: Plain<BlobListRequest>, call: CallContext) {
    checkListText(input, call);
    const limit = listLimit(input, call);
    const { rows } = await this.#query<{ key: string; size: string; content_type: string; modified_ms: string }>(
      call,
      'list',
      `SELECT key, size, content_type, modified_ms FROM ${TABLE} WHERE key > $1 AND key >= $2 AND starts_with(key, $2) ORDER BY key LIMIT $3`,
      [input.after, input.prefix, limit + 1],
    );
    const more = rows.length > limit;
    const items = rows.slice(0, limit).map((r) => ({ key: r.key, size: BigInt(r.size), contentType: r.content_type, modifiedMs: BigInt(r.modified_ms) }));
    return { items, next: more ? items[limit - 1]!.key : '' };
  }

  async delete(input: Plain<BlobDeleteRequest>, call: CallContext) {
    checkKey(input.key, call, 'delete');
    const { rowCount } = await this.#query(call, 'delete', `DELETE FROM ${TABLE} WHERE key = $1`, [input.key]);
    return { deleted: (rowCount ?? 0) > 0 };
  }

  async shutdown(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.end();
  }

  async #query<R extends pg.QueryResultRow>(call: CallContext, method: string, sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    if (!this.#pool) throw mcError('MC_ERR_TOOL_UNAVAILABLE', 'the blob tool is not open');
    try {
      return await this.#pool.query<R>(sql, params);
    } catch (err) {
      throw unavailable(err, call, method);
    }
  }

  async #transaction(call: CallContext, method: string, body: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    if (!this.#pool) throw mcError('MC_ERR_TOOL_UNAVAILABLE', 'the blob tool is not open');
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      throw unavailable(err, call, method);
    }
    try {
      await client.query('BEGIN');
      await body(client);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      if ((err as { code?: string }).code?.startsWith('MC_')) throw err;
      throw unavailable(err, call, method);
    } finally {
      client.release();
    }
  }
}

function unavailable(err: unknown, call: CallContext, method: string): Error {
  return mcError('MC_ERR_TOOL_UNAVAILABLE', `blob.${method} by ${call.caller}: PostgreSQL failed: ${(err as Error).message}`, { setting: 'DATABASE_URL' }, err, 'Check that PostgreSQL at DATABASE_URL is up and BLOB_POOL_SIZE is large enough; the call can be retried.');
}
