// The scheduler's jobs on PostgreSQL (DATABASE_URL=postgres://…): one table
// every kernel on the database shares, made once however many boot together
// (createTableOnce). A due run is claimed with one conditional UPDATE (DELETE
// for a delayed job) … RETURNING: under READ COMMITTED the second kernel's
// statement waits for the first's row lock, then re-checks the condition on the
// row as committed and matches nothing, so a tick fires once.
import pg from 'pg';
import { poolSize } from '../db-common/database-url.ts';
import { CONNECT_TIMEOUT_MS, createTableOnce, postgresPool } from '../db-common/postgres-pool.ts';
import type { KernelLog } from '../../kernel/index.ts';
import { TABLE, type Job, type JobStore } from './jobs.ts';

// Held while creating the table (createTableOnce).
const CREATE_LOCK = 0x6d63_7363; // 'mcsc'
const COLUMNS = 'owner, name, cron, topic, payload, key, next_run_ms, trace_id, parent_id';

interface Row {
  owner: string;
  name: string;
  cron: string;
  topic: string;
  payload: Buffer;
  key: string;
  next_run_ms: string;
  trace_id: string;
  parent_id: string;
}

export class PostgresJobs implements JobStore {
  #pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  static async open(url: string, env: Readonly<Record<string, string | undefined>>, log: Pick<KernelLog, 'warn'>): Promise<PostgresJobs> {
    const pool = postgresPool({ connectionString: url, max: poolSize(env.SCHEDULER_POOL_SIZE, 'SCHEDULER_POOL_SIZE', 2), connectionTimeoutMillis: CONNECT_TIMEOUT_MS }, log, 'scheduler');
    try {
      await createTableOnce(pool, CREATE_LOCK, `CREATE TABLE IF NOT EXISTS ${TABLE} (owner text NOT NULL, name text NOT NULL, cron text NOT NULL, topic text NOT NULL, payload bytea NOT NULL, key text NOT NULL, next_run_ms bigint NOT NULL, trace_id text NOT NULL, parent_id text NOT NULL, PRIMARY KEY (owner, name));
        CREATE INDEX IF NOT EXISTS ${TABLE}_next_run ON ${TABLE} (next_run_ms)`);
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
    return new PostgresJobs(pool);
  }

  async put(job: Job): Promise<number> {
    const { rows } = await this.#pool.query<{ next_run_ms: string }>(
      `INSERT INTO ${TABLE} AS t (owner, name, cron, topic, payload, key, next_run_ms, trace_id, parent_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (owner, name) DO UPDATE SET topic = excluded.topic, payload = excluded.payload, key = excluded.key, trace_id = excluded.trace_id, parent_id = excluded.parent_id,
         next_run_ms = CASE WHEN t.cron = excluded.cron AND excluded.cron <> '' THEN t.next_run_ms ELSE excluded.next_run_ms END, cron = excluded.cron
       RETURNING next_run_ms`,
      [job.owner, job.name, job.cron, job.topic, Buffer.from(job.payload), job.key, String(job.nextRunMs), job.traceId, job.parentId],
    );
    return Number(rows[0]!.next_run_ms);
  }

  async remove(owner: string, name: string): Promise<boolean> {
    const { rowCount } = await this.#pool.query(`DELETE FROM ${TABLE} WHERE owner = $1 AND name = $2`, [owner, name]);
    return (rowCount ?? 0) > 0;
  }

  async list(owner: string): Promise<Job[]> {
    const { rows } = await this.#pool.query<Row>(`SELECT ${COLUMNS} FROM ${TABLE} WHERE owner = $1 ORDER BY name COLLATE "C"`, [owner]);
    return rows.map(job);
  }

  async due(nowMs: number, limit: number): Promise<Job[]> {
    const { rows } = await this.#pool.query<Row>(`SELECT ${COLUMNS} FROM ${TABLE} WHERE next_run_ms <= $1 ORDER BY next_run_ms LIMIT $2`, [String(nowMs), limit]);
    return rows.map(job);
  }

  async earliest(): Promise<number | undefined> {
    const { rows } = await this.#pool.query<{ t: string | null }>(`SELECT MIN(next_run_ms) AS t FROM ${TABLE}`);
    return rows[0]?.t == null ? undefined : Number(rows[0].t);
  }

  async claim(j: Job, nextRunMs: number | undefined): Promise<Job | undefined> {
    const keys = [j.owner, j.name, String(j.nextRunMs), j.cron];
    const { rows } =
      nextRunMs === undefined
        ? await this.#pool.query<Row>(`DELETE FROM ${TABLE} WHERE owner = $1 AND name = $2 AND next_run_ms = $3 AND cron = $4 RETURNING ${COLUMNS}`, keys)
        : await this.#pool.query<Row>(`UPDATE ${TABLE} SET next_run_ms = $5 WHERE owner = $1 AND name = $2 AND next_run_ms = $3 AND cron = $4 RETURNING ${COLUMNS}`, [...keys, String(nextRunMs)]);
    return rows[0] && job(rows[0]);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

function job(r: Row): Job {
  const b = r.payload;
  return { owner: r.owner, name: r.name, cron: r.cron, topic: r.topic, payload: new Uint8Array(b.buffer, b.byteOffset, b.byteLength), key: r.key, nextRunMs: Number(r.next_run_ms), traceId: r.trace_id, parentId: r.parent_id };
}
