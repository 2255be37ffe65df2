// The dialect rule for migration files, as a function and through both drivers
// (a real kernel on a SQLite file and on a PostgreSQL database).
import { afterEach, describe, expect, it } from 'vitest';
import { bootProject, type TestProject } from '../../test/project.ts';
import { postgresDatabase } from '../../test/services.ts';
import { chooseMigrationFiles } from './migration-files.ts';

describe('chooseMigrationFiles', () => {
  const names = ['002_u.sqlite.sql', '001_t.postgres.sql', 'README.md', '001_t.sql', '003_v.sql', '004_w.sqlite.sql', '004_w.postgres.sql', '004_w.sql'];

  it("takes the engine's own file of a version over the portable one, ignores the other engine's, and names each version by its portable name", () => {
    expect(chooseMigrationFiles(names, 'postgres')).toEqual([
      { file: '001_t.sql', actual: '001_t.postgres.sql' },
      { file: '003_v.sql', actual: '003_v.sql' },
      { file: '004_w.sql', actual: '004_w.postgres.sql' },
    ]);
    expect(chooseMigrationFiles(names, 'sqlite')).toEqual([
      { file: '001_t.sql', actual: '001_t.sql' },
      { file: '002_u.sql', actual: '002_u.sqlite.sql' },
      { file: '003_v.sql', actual: '003_v.sql' },
      { file: '004_w.sql', actual: '004_w.sqlite.sql' },
    ]);
  });
});

describe('dialect migration files through each driver (real kernel)', () => {
  let project: TestProject | undefined;
  afterEach(async () => {
    await project?.stop();
    project = undefined;
  });

  const FILES = {
    'domains/shop/migrations/001_t.sql': "CREATE TABLE t (engine TEXT);\nINSERT INTO t VALUES ('portable');\n",
    'domains/shop/migrations/001_t.postgres.sql': "CREATE TABLE t (engine TEXT);\nINSERT INTO t VALUES ('postgres');\n",
    'domains/shop/migrations/002_u.sqlite.sql': 'CREATE TABLE u (id INTEGER PRIMARY KEY AUTOINCREMENT);\n',
    'domains/shop/migrations/003_v.sql': 'CREATE TABLE v (id INTEGER);\n',
  };

  async function state(): Promise<unknown> {
    const db = project!.kernel.getTool('db') as { query(input: unknown, call: unknown): unknown; describeSchema(input: unknown, call: unknown): unknown };
    const call = { caller: 'test/dialect', traceId: '' };
    const t = (await db.query({ sql: 'SELECT engine FROM t', params: [] }, call)) as { rows: unknown[] };
    const schema = (await db.describeSchema({}, call)) as { tables: { name: string; owner: string }[] };
    return { engine: t.rows, tables: schema.tables.map((x) => `${x.owner}:${x.name}`) };
  }

  it.each([
    ['sqlite', async () => ({}), { engine: [{ engine: 'portable' }], tables: ['shop:t', 'shop:u', 'shop:v'] }],
    ['postgres', async () => ({ DATABASE_URL: await postgresDatabase() }), { engine: [{ engine: 'postgres' }], tables: ['shop:t', 'shop:v'] }],
  ] as const)('on %s', async (_engine, env, expected) => {
    project = await bootProject(FILES, { env: await env() });
    expect(project.item('db')!.status).toBe('ready');
    expect(await state()).toEqual(expected);
  });
});
