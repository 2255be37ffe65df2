// The scheduler's jobs on SQLite: a table in the app's database (DATABASE_PATH,
// as tools/db-sqlite opens it; `_microcore_*` tables stay out of
// Db.DescribeSchema), through a connection of the tool's own. `:memory:` keeps
// them for this process only. Kernels sharing the file claim runs like kernels
// sharing PostgreSQL do (jobs.ts).
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import Database from 'better-sqlite3';
import { TABLE, type Job, type JobStore } from './jobs.ts';

// The scheduler's statements are tiny: wait out another writer rather than fail a tick.
const BUSY_TIMEOUT_MS = 5_000;
const COLUMNS = 'owner, name, cron, topic, payload, key, next_run_ms AS nextRunMs, trace_id AS traceId, parent_id AS parentId';

export class SqliteJobs implements JobStore {
  #db: Database.Database;

  constructor(root: string, configured: string | undefined) {
    const setting = configured || 'data/microcore.db';
    const path = setting === ':memory:' || isAbsolute(setting) ? setting : join(root, setting);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.pragma('journal_mode = WAL');
      db.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (owner TEXT NOT NULL, name TEXT NOT NULL, cron TEXT NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL, key TEXT NOT NULL, next_run_ms INTEGER NOT NULL, trace_id TEXT NOT NULL, parent_id TEXT NOT NULL, PRIMARY KEY (owner, name)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ${TABLE}_next_run ON ${TABLE} (next_run_ms)`);
    } catch (err) {
      db.close();
      throw err;
    }
    this.#db = db;
  }

  async put(job: Job): Promise<number> {
    const row = this.#db
      .prepare(
        `INSERT INTO ${TABLE} (owner, name, cron, topic, payload, key, next_run_ms, trace_id, parent_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (owner, name) DO UPDATE SET topic = excluded.topic, payload = excluded.payload, key = excluded.key, trace_id = excluded.trace_id, parent_id = excluded.parent_id,
           next_run_ms = CASE WHEN cron = excluded.cron AND excluded.cron <> '' THEN next_run_ms ELSE excluded.next_run_ms END, cron = excluded.cron
         RETURNING next_run_ms AS nextRunMs`,
      )
      .get(job.owner, job.name, job.cron, job.topic, job.payload, job.key, job.nextRunMs, job.traceId, job.parentId) as { nextRunMs: number };
    return row.nextRunMs;
  }

  async remove(owner: string, name: string): Promise<boolean> {
    return this.#db.prepare(`DELETE FROM ${TABLE} WHERE owner = ? AND name = ?`).run(owner, name).changes > 0;
  }

  async list(owner: string): Promise<Job[]> {
    return (this.#db.prepare(`SELECT ${COLUMNS} FROM ${TABLE} WHERE owner = ? ORDER BY name`).all(owner) as Job[]).map(plain);
  }

  async due(nowMs: number, limit: number): Promise<Job[]> {
    return (this.#db.prepare(`SELECT ${COLUMNS} FROM ${TABLE} WHERE next_run_ms <= ? ORDER BY next_run_ms LIMIT ?`).all(nowMs, limit) as Job[]).map(plain);
  }

  async earliest(): Promise<number | undefined> {
    const row = this.#db.prepare(`SELECT MIN(next_run_ms) AS t FROM ${TABLE}`).get() as { t: number | null };
    return row.t ?? undefined;
  }

  async claim(job: Job, nextRunMs: number | undefined): Promise<Job | undefined> {
    const where = 'WHERE owner = ? AND name = ? AND next_run_ms = ? AND cron = ?';
    const keys = [job.owner, job.name, job.nextRunMs, job.cron];
    const row =
      nextRunMs === undefined
        ? this.#db.prepare(`DELETE FROM ${TABLE} ${where} RETURNING ${COLUMNS}`).get(...keys)
        : this.#db.prepare(`UPDATE ${TABLE} SET next_run_ms = ? ${where} RETURNING ${COLUMNS}`).get(nextRunMs, ...keys);
    return row ? plain(row as Job) : undefined;
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}

/** A Uint8Array view of the blob (not a Buffer), as every store answers. */
function plain(job: Job): Job {
  const b = job.payload;
  return { ...job, payload: new Uint8Array(b.buffer, b.byteOffset, b.byteLength) };
}
