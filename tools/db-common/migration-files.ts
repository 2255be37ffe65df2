// Which migration files a db driver applies, and the name the history records.
//
// One version of a folder's schema, `NNN_name`, may come as a portable
// `NNN_name.sql` and as engine-specific `NNN_name.postgres.sql` and
// `NNN_name.sqlite.sql`. For each version the engine's own file wins over the
// portable one, and the other engine's file is ignored (a version with only
// the other engine's file is nothing on this engine). The history records the
// portable name, `NNN_name.sql`, whichever file ran: the version is what was
// applied, so adding a variant for an applied version later does not apply it
// twice (the driver warns that the applied file changed, as for any edit).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mcError } from '../../kernel/index.ts';
import { readDepends, type MigrationFile } from './migration-order.ts';

export const DB_ENGINES = ['sqlite', 'postgres'] as const;
export type DbEngine = (typeof DB_ENGINES)[number];

const VARIANT = /^(.+)\.(sqlite|postgres)\.sql$/;

/** One chosen file: `file` is the version's portable name, `actual` the file that holds its SQL for this engine. */
export interface ChosenFile {
  file: string;
  actual: string;
}

/** Of a folder's file names, the .sql ones this engine applies, by portable name. */
export function chooseMigrationFiles(names: readonly string[], engine: DbEngine): ChosenFile[] {
  const chosen = new Map<string, string>();
  for (const name of names) {
    if (!name.endsWith('.sql')) continue;
    const variant = VARIANT.exec(name);
    if (!variant) {
      if (!chosen.has(name)) chosen.set(name, name);
    } else if (variant[2] === engine) chosen.set(`${variant[1]}.sql`, name);
  }
  return [...chosen].map(([file, actual]) => ({ file, actual })).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/** Every migration folder's chosen files, read, with their `-- depends:` owners. */
export function readMigrationFiles(root: string, sources: readonly { owner: string; dir: string }[], engine: DbEngine): MigrationFile[] {
  return sources.flatMap(({ owner, dir }) =>
    chooseMigrationFiles(readdirSync(join(root, dir)), engine).map(({ file, actual }): MigrationFile => {
      const path = `${dir}/${actual}`;
      const sql = readFileSync(join(root, dir, actual), 'utf8');
      return { owner, file, path, sql, depends: readDepends(path, sql) };
    }),
  );
}

// Each file already runs in one transaction; its own BEGIN or COMMIT would end that one early.
const TRANSACTION_CONTROL = /^(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE|START|ABORT)\b/i;

/**
 * Where statement `n` of a migration file stands, for its errors (`where` starts
 * the message, `facts` are the details); refuses a statement that controls a
 * transaction, since every driver runs each file in a transaction of its own.
 */
export function statementPlace(f: MigrationFile, s: { sql: string; line: number }, n: number): { where: string; facts: Record<string, string> } {
  const where = `${f.path} failed at statement ${n} (line ${s.line})`;
  const facts = { file: f.path, owner: f.owner, statement: String(n), line: String(s.line) };
  if (TRANSACTION_CONTROL.test(s.sql)) {
    throw mcError('MC_ERR_DB_MIGRATION', `${where}: ${s.sql.split(/\s/)[0]} controls a transaction, and each migration file already runs in one`, facts, undefined, 'Remove BEGIN, COMMIT, ROLLBACK and SAVEPOINT statements from the file; it is applied whole or not at all.');
  }
  return { where, facts };
}
