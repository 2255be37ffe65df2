// Migrations on PostgreSQL, with the SQLite driver's semantics
// (tools/db-sqlite/migrations.ts): every folder's files once, in the order
// db-common/migration-order.ts gives, the engine's own variant of a version
// chosen by db-common/migration-files.ts, each file in one transaction and
// recorded in _microcore_migrations with the tables it created; a failing
// statement stops the db tool naming the file, the statement's number and line,
// and leaves none of that file, and no later file, applied. A file changed after
// it was applied is not re-applied; a warning says so.
//
// Several kernels may boot against one database: the whole run holds a session
// advisory lock (pg_advisory_lock(MIGRATION_LOCK)), so one kernel migrates while
// the others wait, then find the files recorded. A kernel that dies holding it
// loses its session, and with it the lock.
//
// Statements are split with PostgreSQL's lexical rules (placeholders.ts:
// dollar-quoted function bodies hold ';'), and run as written: a migration takes
// no parameters, so a `?` there is jsonb's operator, not a placeholder.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { McError, mcError, type KernelLog } from '../../kernel/index.ts';
import { readMigrationFiles, statementPlace } from '../db-common/migration-files.ts';
import { orderMigrations, type MigrationFile } from '../db-common/migration-order.ts';
import { classifyDbError, isDriverError } from './errors.ts';
import { splitStatements } from './placeholders.ts';

/** The advisory lock's two keys: 0x4d43 ('MC') and 1, the migration run. */
export const MIGRATION_LOCK = [0x4d43, 1] as const;

export async function applyMigrations(pool: pg.Pool, root: string, sources: readonly { owner: string; dir: string }[], log: KernelLog): Promise<void> {
  const files = orderMigrations(readMigrationFiles(root, sources, 'postgres'));
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // However long another kernel's migrations take: lock_timeout (DATABASE_BUSY_TIMEOUT_MS) is for plugins' statements.
    await client.query('SET lock_timeout = 0');
    await client.query('SELECT pg_advisory_lock($1, $2)', [...MIGRATION_LOCK]);
    await client.query('RESET lock_timeout');
    try {
      await createHistory(client);
      for (const f of files) {
        const sha256 = createHash('sha256').update(f.sql).digest('hex');
        const done = await client.query<{ sha256: string }>('SELECT sha256 FROM _microcore_migrations WHERE owner = $1 AND file = $2', [f.owner, f.file]);
        if (done.rows[0]) {
          if (done.rows[0].sha256 !== sha256) log.warn(`${f.path} changed after it was applied; the change is not applied (add a new migration instead)`, { file: f.path });
          continue;
        }
        await applyFile(client, f, sha256);
        log.info(`applied migration ${f.path}`, { file: f.path });
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [...MIGRATION_LOCK]).catch((err: Error) => (broken = err));
    }
  } catch (err) {
    if (err instanceof McError) throw err;
    if (!isDriverError(err)) throw err;
    throw mcError('MC_ERR_DB_MIGRATION', `migrations failed: ${err.message}`, classifyDbError(err).details, err);
  } finally {
    client.release(broken); // a connection that failed is closed, not pooled
  }
}

// `seq` keeps the order files were applied in (SQLite's history has its rowid).
async function createHistory(client: pg.PoolClient): Promise<void> {
  await client.query(`CREATE TABLE IF NOT EXISTS _microcore_migrations (
    owner TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    tables TEXT NOT NULL DEFAULT '[]',
    seq BIGINT GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (owner, file)
  )`);
}

async function applyFile(client: pg.PoolClient, f: MigrationFile, sha256: string): Promise<void> {
  const statements = splitStatements(f.sql);
  await client.query('BEGIN');
  try {
    const before = new Set(await tableNames(client));
    for (const [i, s] of statements.entries()) await runStatement(client, f, s, i + 1);
    const created = (await tableNames(client)).filter((t) => !before.has(t));
    await client.query(
      `INSERT INTO _microcore_migrations (owner, file, sha256, applied_at, tables)
       VALUES ($1, $2, $3, to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), $4)`,
      [f.owner, f.file, sha256, JSON.stringify(created)],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    if (err instanceof McError) throw err;
    throw mcError('MC_ERR_DB_MIGRATION', `${f.path} failed: ${(err as Error).message}`, { file: f.path, owner: f.owner }, err);
  }
}

async function runStatement(client: pg.PoolClient, f: MigrationFile, s: { sql: string; line: number }, n: number): Promise<void> {
  const { where, facts } = statementPlace(f, s, n);
  try {
    await client.query(s.sql);
  } catch (err) {
    if (!isDriverError(err)) throw err;
    const { details } = classifyDbError(err);
    throw mcError('MC_ERR_DB_MIGRATION', `${where}: ${err.message}; none of the file's statements were applied`, { ...facts, ...details }, err);
  }
}

// Not MicroCore's own: the state and system tools create theirs while migrations
// run (tools set up in parallel), and a migration must not be recorded as their owner.
async function tableNames(client: pg.PoolClient): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename NOT LIKE '\\_microcore\\_%' ORDER BY tablename");
  return rows.map((r) => r.name);
}
