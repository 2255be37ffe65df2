// What every tool with a PostgreSQL pool of its own needs (the db, state and
// system tools): a pool that reports, not crashes on, an idle connection the
// server closed, and MicroCore's own tables made once however many kernels boot
// together.
import pg from 'pg';
import type { KernelLog } from '../../kernel/index.ts';

/** A pool whose idle connections' failures are logged as `what` (without a listener pg's 'error' ends the process). */
/** How long opening one connection may take: a fresh backend under load can take far longer than a lock wait worth failing for. */
export const CONNECT_TIMEOUT_MS = 5_000;

export function postgresPool(config: pg.PoolConfig, log: Pick<KernelLog, 'warn'>, what: string): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', (err) => log.warn(`${what}: an idle PostgreSQL connection failed (the next call opens another)`, { error: err.message }));
  return pool;
}

/**
 * Runs CREATE TABLE IF NOT EXISTS under a transaction-scoped advisory lock:
 * kernels booting together would otherwise race it into a unique violation on
 * PostgreSQL's own catalog.
 */
export async function createTableOnce(pool: pg.Pool, lock: number, createTable: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [lock]);
    await client.query(createTable);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
