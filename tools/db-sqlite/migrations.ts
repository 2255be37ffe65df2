// Applies every migration folder's *.sql files once (for a version with a
// .sqlite.sql / .postgres.sql variant, the one db-common/migration-files.ts chooses), in the order
// migration-order.ts gives (name order per owner, `-- depends:` across owners),
// recording each in _microcore_migrations with the tables it created. A file is
// split into statements (split-sql.ts) that run one by one in one transaction:
// a failing statement stops the db tool naming the file, the statement's number
// and line, and leaves none of that file's statements, and no later file, applied.
// A file changed after it was applied is not re-applied; a warning says so.
import type { Database, Statement } from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { McError, mcError, type KernelLog } from '../../kernel/index.ts';
import { classifyDbError, isDriverError } from './errors.ts';
import { readMigrationFiles, statementPlace } from '../db-common/migration-files.ts';
import { orderMigrations, type MigrationFile } from '../db-common/migration-order.ts';
import { splitSql, type SqlStatement } from '../db-common/split-sql.ts';

export function applyMigrations(db: Database, root: string, sources: readonly { owner: string; dir: string }[], log: KernelLog): void {
  createHistory(db);
  const files = readMigrationFiles(root, sources, 'sqlite');
  const applied = db.prepare('SELECT sha256 FROM _microcore_migrations WHERE owner = ? AND file = ?');
  const record = db.prepare("INSERT INTO _microcore_migrations (owner, file, sha256, applied_at, tables) VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?)");
  for (const f of orderMigrations(files)) {
    const sha256 = createHash('sha256').update(f.sql).digest('hex');
    const done = applied.get(f.owner, f.file) as { sha256: string } | undefined;
    if (done) {
      if (done.sha256 !== sha256) log.warn(`${f.path} changed after it was applied; the change is not applied (add a new migration instead)`, { file: f.path });
      continue;
    }
    if (applyFile(db, f, sha256, applied, record)) log.info(`applied migration ${f.path}`, { file: f.path });
  }
}

function createHistory(db: Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS _microcore_migrations (
    owner TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    tables TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (owner, file)
  )`);
  // A history written before `tables` existed (JSON: the tables each file created) gains it; its rows stay without owners.
  const columns = db.prepare("SELECT name FROM pragma_table_info('_microcore_migrations')").pluck().all();
  if (!columns.includes('tables')) db.exec("ALTER TABLE _microcore_migrations ADD COLUMN tables TEXT NOT NULL DEFAULT '[]'");
}

/** Applies one file in one transaction; false when another process recorded it first. */
function applyFile(db: Database, f: MigrationFile, sha256: string, applied: Statement, record: Statement): boolean {
  const statements = splitSql(f.sql);
  // IMMEDIATE takes the write lock first, so two kernels booting on one file cannot both apply it.
  const apply = db.transaction(() => {
    if (applied.get(f.owner, f.file)) return false;
    const before = new Set(tableNames(db));
    statements.forEach((s, i) => runStatement(db, f, s, i + 1));
    const created = tableNames(db).filter((t) => !before.has(t));
    record.run(f.owner, f.file, sha256, JSON.stringify(created));
    return true;
  });
  try {
    return apply.immediate();
  } catch (err) {
    if (err instanceof McError) throw err;
    throw mcError('MC_ERR_DB_MIGRATION', `${f.path} failed: ${(err as Error).message}`, { file: f.path, owner: f.owner }, err);
  }
}

function runStatement(db: Database, f: MigrationFile, s: SqlStatement, n: number): void {
  const { where, facts } = statementPlace(f, s, n);
  try {
    const stmt = db.prepare(s.sql);
    if (stmt.reader) stmt.all();
    else stmt.run();
  } catch (err) {
    if (!isDriverError(err)) throw err;
    const { details } = classifyDbError(err, s.sql);
    throw mcError('MC_ERR_DB_MIGRATION', `${where}: ${err.message}; none of the file's statements were applied`, { ...facts, ...details }, err);
  }
}

function tableNames(db: Database): string[] {
  return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().safeIntegers(false).all() as string[];
}
