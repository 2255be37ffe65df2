// Which kernels share this one's database. On PostgreSQL each kernel writes a
// row every HEARTBEAT_MS and reads the rows heard from within three heartbeats;
// a kernel that stops cleanly deletes its own row, one that dies drops out when
// its row goes stale. On SQLite a kernel is a cluster of one.
import { hostname } from 'node:os';
import { createTableOnce, postgresPool } from '../db-common/postgres-pool.ts';
import { mcError, type KernelLog } from '../../kernel/index.ts';

export interface Member {
  id: string;
  hostname: string;
  pid: bigint;
  startedAtUnixMs: bigint;
  seenAtUnixMs: bigint;
}

export interface Members {
  list(): Promise<Member[]>;
  close(): Promise<void>;
}

const TABLE = '_microcore_kernels';
const CREATE_LOCK = 0x6d63_6b6e; // 'mckn', held while creating the table (createTableOnce)

/** This kernel alone. */
export function soloMember(id: string): Members {
  const me: Member = { id, hostname: hostname(), pid: BigInt(process.pid), startedAtUnixMs: BigInt(Date.now()), seenAtUnixMs: 0n };
  return {
    list: async () => [{ ...me, seenAtUnixMs: BigInt(Date.now()) }],
    close: async () => {},
  };
}

/** Heartbeats into, and lists from, the kernels table of a PostgreSQL database. */
export async function postgresMembers(id: string, url: string, heartbeatMs: number, log: KernelLog): Promise<Members> {
  const pool = postgresPool({ connectionString: url, max: 2, connectionTimeoutMillis: heartbeatMs }, log, 'system');
  const beat = () => pool.query(`INSERT INTO ${TABLE} (id, hostname, pid, started_at, seen_at) VALUES ($1, $2, $3, now(), now()) ON CONFLICT (id) DO UPDATE SET seen_at = now(), hostname = excluded.hostname, pid = excluded.pid`, [id, hostname(), process.pid]);
  try {
    await createTableOnce(pool, CREATE_LOCK, `CREATE TABLE IF NOT EXISTS ${TABLE} (id text PRIMARY KEY, hostname text NOT NULL, pid integer NOT NULL, started_at timestamptz NOT NULL, seen_at timestamptz NOT NULL)`);
    // Two live kernels under one id would overwrite each other's row (a KERNEL_ID copied
    // between deployments): refuse; a restarted kernel with the same id starts afresh.
    const { rows: same } = await pool.query(`SELECT hostname, pid FROM ${TABLE} WHERE id = $1 AND seen_at > now() - $2::bigint * interval '1 millisecond'`, [id, String(3 * heartbeatMs)]);
    const other = same.find((r) => r.hostname !== hostname() || r.pid !== process.pid);
    if (other) throw mcError('MC_ERR_TOOL_SETUP', `another kernel (pid ${other.pid} on ${other.hostname}) is running as KERNEL_ID=${id} on this database`, { setting: 'KERNEL_ID' }, undefined, 'Give each kernel its own KERNEL_ID, or leave it unset (host and pid).');
    await pool.query(`DELETE FROM ${TABLE} WHERE id = $1`, [id]);
    await beat();
  } catch (err) {
    await pool.end().catch(() => {});
    if ((err as { code?: string }).code === 'MC_ERR_TOOL_SETUP') throw err;
    throw mcError('MC_ERR_TOOL_SETUP', `the system tool cannot record this kernel in PostgreSQL: ${(err as Error).message}`, { setting: 'DATABASE_URL' }, err, 'Start the server or fix DATABASE_URL; the role needs CREATE on the database.');
  }
  const timer = setInterval(() => {
    beat().catch((err: Error) => log.warn('system: the cluster heartbeat failed', { error: err.message }));
  }, heartbeatMs).unref();
  return {
    async list() {
      const { rows } = await pool.query(
        `SELECT id, hostname, pid, (extract(epoch FROM started_at) * 1000)::bigint AS started, (extract(epoch FROM seen_at) * 1000)::bigint AS seen
         FROM ${TABLE} WHERE seen_at > now() - $1::bigint * interval '1 millisecond' ORDER BY id`,
        [String(3 * heartbeatMs)],
      );
      return rows.map((r) => ({ id: r.id, hostname: r.hostname, pid: BigInt(r.pid), startedAtUnixMs: BigInt(r.started), seenAtUnixMs: BigInt(r.seen) }));
    },
    async close() {
      clearInterval(timer);
      await pool.query(`DELETE FROM ${TABLE} WHERE id = $1`, [id]).catch(() => {});
      await pool.end();
    },
  };
}
