// Db.DescribeSchema through a real kernel on a real file: a plugin asks for the
// schema its migrations (and its own statement) made.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bootProject, plugin, type TestProject } from '../../test/project.ts';
import { columnType } from './schema.ts';

let project: TestProject | undefined;
let dir: string | undefined;
afterEach(async () => {
  await project?.stop();
  project = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const col = (name: string, type: string, more: { notNull?: boolean; primaryKey?: boolean; defaultValue?: string; unique?: boolean } = {}) => ({ name, type, notNull: false, primaryKey: false, defaultValue: '', unique: false, ...more });

describe('db.describeSchema (real kernel, real file)', () => {
  it('lists tables by name with owner, columns in order, one type vocabulary, constraints and defaults', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mc-schema-'));
    const key = `schema${Date.now()}`;
    project = await bootProject(
      {
        'domains/people/migrations/001_customers.sql': `CREATE TABLE customers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email VARCHAR(120) NOT NULL UNIQUE,
  name TEXT DEFAULT 'anon',
  score DOUBLE PRECISION,
  photo BLOB,
  born DATE,
  misc,
  created_at TEXT NOT NULL DEFAULT (strftime('%s', 'now'))
);
CREATE UNIQUE INDEX customers_name ON customers (name);
CREATE INDEX customers_born ON customers (born);
CREATE UNIQUE INDEX customers_pair ON customers (score, born);
CREATE UNIQUE INDEX customers_partial ON customers (photo) WHERE photo IS NOT NULL;
`,
        'domains/billing/migrations/001_invoices.sql': `-- depends: people
CREATE TABLE invoices (customer_id INTEGER NOT NULL REFERENCES customers (id), n INT NOT NULL, total REAL DEFAULT 0, PRIMARY KEY (customer_id, n)) WITHOUT ROWID;
CREATE TABLE strict_notes (body ANY, size INT) STRICT;
`,
        'domains/billing/plugins/read-schema.ts': plugin(`
          export class ReadSchemaPlugin {
            constructor({ db }) { this.db = db; }
            async onBoot() {
              await this.db.execute({ sql: 'CREATE TABLE IF NOT EXISTS scratch (k TEXT)' });
              globalThis.${key} = await this.db.describeSchema();
            }
          }`),
      },
      { env: { DATABASE_PATH: join(dir, 'schema.db') } },
    );
    expect(project.item('billing/read-schema')).toMatchObject({ status: 'ready' });
    const schema = (globalThis as Record<string, unknown>)[key];
    expect(schema).toEqual({
      tables: [
        {
          name: 'customers',
          owner: 'people',
          columns: [
            col('id', 'integer', { primaryKey: true }),
            col('email', 'text', { notNull: true, unique: true }),
            col('name', 'text', { defaultValue: "'anon'", unique: true }),
            col('score', 'real'),
            col('photo', 'blob'),
            col('born', 'numeric'),
            col('misc', 'any'),
            col('created_at', 'text', { notNull: true, defaultValue: "strftime('%s', 'now')" }),
          ],
        },
        {
          name: 'invoices',
          owner: 'billing',
          columns: [col('customer_id', 'integer', { notNull: true, primaryKey: true }), col('n', 'integer', { notNull: true, primaryKey: true }), col('total', 'real', { defaultValue: '0' })],
        },
        { name: 'scratch', owner: '', columns: [col('k', 'text')] },
        { name: 'strict_notes', owner: 'billing', columns: [col('body', 'any'), col('size', 'integer')] },
      ],
    });
  });
});

describe('columnType', () => {
  it("follows SQLite's affinity rules, with no type and STRICT ANY as any", () => {
    const cases: [string, boolean, string][] = [
      ['INTEGER', false, 'integer'],
      ['BIGINT', false, 'integer'],
      ['POINT', false, 'integer'], // "INT" inside the name wins, as in SQLite
      ['VARCHAR(20)', false, 'text'],
      ['CLOB', false, 'text'],
      ['BLOB', false, 'blob'],
      ['FLOAT', false, 'real'],
      ['BOOLEAN', false, 'numeric'],
      ['DECIMAL(10,2)', false, 'numeric'],
      ['ANY', false, 'numeric'],
      ['ANY', true, 'any'],
      ['', false, 'any'],
    ];
    for (const [declared, strict, type] of cases) expect(columnType(declared, strict), declared).toBe(type);
  });
});
