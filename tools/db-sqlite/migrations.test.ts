// Migrations through a real kernel over a real database file: statements split
// by split-sql.ts, order by migration-order.ts, one transaction per file.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KernelLog } from '../../kernel/index.ts';
import { bootProject, writeProject, type TestProject } from '../../test/project.ts';
import { applyMigrations } from './migrations.ts';

let dir: string;
let project: TestProject | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-migrations-'));
});
afterEach(async () => {
  await project?.stop();
  project = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Boots a project with `files` on a database file; returns that file's path. */
async function boot(files: Record<string, string>): Promise<string> {
  const file = join(dir, 'app.db');
  project = await bootProject(files, { env: { DATABASE_PATH: file } });
  return file;
}

/** Reads the database file after the kernel has stopped. */
async function read<T>(file: string, work: (db: Database.Database) => T): Promise<T> {
  await project?.stop();
  project = undefined;
  const db = new Database(file, { readonly: true });
  db.defaultSafeIntegers(true);
  try {
    return work(db);
  } finally {
    db.close();
  }
}

const tables = (db: Database.Database) => db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name").pluck().all();
const history = (db: Database.Database) => db.prepare('SELECT owner, file FROM _microcore_migrations ORDER BY rowid').all();

const CUSTOMERS = 'CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nINSERT INTO customers (id, name) VALUES (1, \'Ann\');\n';
// Its INSERT checks the foreign key, which needs the customers table to exist already.
const INVOICES = 'CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id));\nINSERT INTO invoices (customer_id) VALUES (1);\n';

describe('migrations (real kernel, real file)', () => {
  it("applies a trigger whose body holds ';' in statements, strings, comments and a CASE … END", async () => {
    const file = await boot({
      'domains/shop/migrations/001_items.sql': `CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL);
CREATE TABLE audit (item_id INTEGER, note TEXT);
/* A trigger: its body's ';' must not end the statement. */
CREATE TRIGGER items_audit AFTER INSERT ON items BEGIN
  INSERT INTO audit (item_id, note) VALUES (new.id, 'created; ' || new.name); -- a comment; with ';'
  UPDATE audit SET note = note || CASE WHEN new.qty > 9 THEN ' (many; restock later)' ELSE ' (few)' END WHERE item_id = new.id;
END;
INSERT INTO items (name, qty) VALUES ('pen', 12), ('ink;pot', 1);
`,
    });
    expect(project!.item('db')).toMatchObject({ status: 'ready' });
    expect(await read(file, (db) => db.prepare('SELECT item_id, note FROM audit ORDER BY item_id').all())).toEqual([
      { item_id: 1n, note: 'created; pen (many; restock later)' },
      { item_id: 2n, note: 'created; ink;pot (few)' },
    ]);
  });

  it('applies a file after the owners its "-- depends:" names, whatever the alphabet says', async () => {
    // "billing" sorts before "people", but its foreign key needs people's table.
    const file = await boot({
      'domains/billing/migrations/001_invoices.sql': `-- Invoices reference customers.\n-- depends: people\n${INVOICES}`,
      'domains/people/migrations/001_customers.sql': CUSTOMERS,
    });
    expect(project!.item('db')).toMatchObject({ status: 'ready' });
    await read(file, (db) => {
      expect(history(db)).toEqual([
        { owner: 'people', file: '001_customers.sql' },
        { owner: 'billing', file: '001_invoices.sql' },
      ]);
      expect(db.prepare('SELECT customer_id FROM invoices').all()).toEqual([{ customer_id: 1n }]);
    });
  });

  it('without the "-- depends:" line the same files apply alphabetically, and the foreign key fails', async () => {
    await boot({ 'domains/billing/migrations/001_invoices.sql': INVOICES, 'domains/people/migrations/001_customers.sql': CUSTOMERS });
    expect(project!.item('db')).toMatchObject({ status: 'failed', code: 'MC_ERR_DB_MIGRATION' });
    expect(project!.item('db')!.reason).toContain('domains/billing/migrations/001_invoices.sql failed at statement 2 (line 2): no such table: main.customers');
  });

  it('fails the db tool on a dependency cycle, naming both files and owners, applying nothing', async () => {
    const file = await boot({
      'domains/billing/migrations/001_invoices.sql': `-- depends: people\n${INVOICES}`,
      'domains/people/migrations/001_customers.sql': `-- depends: billing\n${CUSTOMERS}`,
      'domains/zoo/migrations/001_animals.sql': 'CREATE TABLE animals (id INTEGER PRIMARY KEY);',
    });
    const db = project!.item('db')!;
    expect(db).toMatchObject({ status: 'failed', code: 'MC_ERR_DB_MIGRATION' });
    expect(db.reason).toContain("migration dependency cycle among 'billing', 'people'");
    expect(db.reason).toContain('domains/billing/migrations/001_invoices.sql must follow domains/people/migrations/001_customers.sql (-- depends: people)');
    expect(db.reason).toContain('domains/people/migrations/001_customers.sql must follow domains/billing/migrations/001_invoices.sql (-- depends: billing)');
    expect(await read(file, (d) => [tables(d), history(d)])).toEqual([[], []]);
  });

  it('fails the db tool on a dependency on an unknown owner, naming the file and the owner', async () => {
    await boot({ 'domains/billing/migrations/001_invoices.sql': `-- depends: crm\n${INVOICES}` });
    expect(project!.item('db')).toMatchObject({ status: 'failed', code: 'MC_ERR_DB_MIGRATION' });
    expect(project!.item('db')!.reason).toContain("domains/billing/migrations/001_invoices.sql depends on 'crm', which has no migrations (owners with migrations: billing)");
  });

  it('stops at a failing statement mid-file: none of that file and nothing after it applies; the error names file, statement and line', async () => {
    const file = await boot({
      'domains/shop/migrations/001_items.sql': 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n',
      'domains/shop/migrations/002_more.sql': "-- Three statements; the second breaks NOT NULL.\nCREATE TABLE tags (id INTEGER PRIMARY KEY);\n\nINSERT INTO items (name)\n  VALUES (NULL);\nINSERT INTO items (name) VALUES ('never');\n",
      'domains/shop/migrations/003_after.sql': 'CREATE TABLE later (id INTEGER PRIMARY KEY);\n',
    });
    const db = project!.item('db')!;
    expect(db).toMatchObject({ status: 'failed', code: 'MC_ERR_DB_MIGRATION' });
    expect(db.reason).toContain("domains/shop/migrations/002_more.sql failed at statement 2 (line 4): NOT NULL constraint failed: items.name; none of the file's statements were applied");
    await read(file, (d) => {
      expect(tables(d)).toEqual(['items']);
      expect(history(d)).toEqual([{ owner: 'shop', file: '001_items.sql' }]);
      expect(d.prepare('SELECT count(*) AS n FROM items').get()).toEqual({ n: 0n });
    });
  });

  it('refuses BEGIN / COMMIT in a migration file, which already runs in one transaction', async () => {
    await boot({ 'domains/shop/migrations/001_items.sql': 'BEGIN;\nCREATE TABLE items (id INTEGER PRIMARY KEY);\nCOMMIT;\n' });
    expect(project!.item('db')!.reason).toContain('domains/shop/migrations/001_items.sql failed at statement 1 (line 1): BEGIN controls a transaction');
  });
});

describe('applyMigrations (a changed applied file)', () => {
  it('warns about a file changed after it was applied, and does not re-apply it', () => {
    const root = writeProject({ 'domains/shop/migrations/001_items.sql': 'CREATE TABLE items (id INTEGER PRIMARY KEY);\n' });
    const warnings: string[] = [];
    const log: KernelLog = { debug: () => {}, info: () => {}, error: () => {}, warn: (m) => warnings.push(m) };
    const sources = [{ owner: 'shop', dir: 'domains/shop/migrations' }];
    const db = new Database(join(dir, 'changed.db'));
    try {
      applyMigrations(db, root, sources, log);
      writeFileSync(join(root, 'domains/shop/migrations/001_items.sql'), 'CREATE TABLE items (id INTEGER PRIMARY KEY, extra TEXT);\n');
      applyMigrations(db, root, sources, log);
      expect(warnings).toEqual(['domains/shop/migrations/001_items.sql changed after it was applied; the change is not applied (add a new migration instead)']);
      expect(db.prepare("SELECT name FROM pragma_table_info('items')").pluck().all()).toEqual(['id']);
    } finally {
      db.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('gives an older history (without the tables column) that column, keeping its rows', () => {
    const root = writeProject({ 'domains/shop/migrations/001_items.sql': 'CREATE TABLE items (id INTEGER PRIMARY KEY);\n' });
    const db = new Database(join(dir, 'old.db'));
    try {
      db.exec("CREATE TABLE _microcore_migrations (owner TEXT NOT NULL, file TEXT NOT NULL, sha256 TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (owner, file)); INSERT INTO _microcore_migrations VALUES ('old', '001.sql', 'x', 'then');");
      applyMigrations(db, root, [{ owner: 'shop', dir: 'domains/shop/migrations' }], { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} });
      expect(db.prepare('SELECT owner, tables FROM _microcore_migrations ORDER BY rowid').all()).toEqual([
        { owner: 'old', tables: '[]' },
        { owner: 'shop', tables: '["items"]' },
      ]);
    } finally {
      db.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
