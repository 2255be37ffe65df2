// Applies each migration folder's *.sql files once, in name order, each file in
// its own transaction, recording them in _microcore_migrations. A failing file
// stops the db tool, naming the file; nothing of that file is applied.
import type { Database } from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mcError, type KernelLog } from '../../kernel/index.ts';

export function applyMigrations(db: Database, root: string, sources: readonly { owner: string; dir: string }[], log: KernelLog): void {
  db.exec(`CREATE TABLE IF NOT EXISTS _microcore_migrations (
    owner TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (owner, file)
  )`);
  const applied = db.prepare('SELECT sha256 FROM _microcore_migrations WHERE owner = ? AND file = ?');
  const record = db.prepare("INSERT INTO _microcore_migrations (owner, file, sha256, applied_at) VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
  for (const { owner, dir } of sources) {
    const files = readdirSync(join(root, dir)).filter((f) => f.endsWith('.sql')).sort();
    for (const file of files) {
      const sql = readFileSync(join(root, dir, file), 'utf8');
      const sha256 = createHash('sha256').update(sql).digest('hex');
      const done = applied.get(owner, file) as { sha256: string } | undefined;
      if (done) {
        if (done.sha256 !== sha256) log.warn(`${dir}/${file} changed after it was applied; the change is not applied (add a new migration instead)`, { file: `${dir}/${file}` });
        continue;
      }
      try {
        db.transaction(() => {
          db.exec(sql);
          record.run(owner, file, sha256);
        })();
      } catch (err) {
        throw mcError('MC_ERR_DB_MIGRATION', `${dir}/${file} failed: ${(err as Error).message}`, { file: `${dir}/${file}` }, err);
      }
      log.info(`applied migration ${dir}/${file}`, { file: `${dir}/${file}` });
    }
  }
}
