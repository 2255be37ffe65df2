// The SQLite db tool: values through the real proxy (testTools), and migrations
// through a real kernel over a real database file (bootProject / Kernel).
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Kernel, McError } from '../../kernel/index.ts';
import { testTools, type TestTools } from '../../kernel/testing.ts';
import { bootProject, plugin, writeProject, type TestProject } from '../../test/project.ts';

const BIG = 9007199254740993n; // 2^53 + 1: not exact as a double

async function failure(p: Promise<unknown>): Promise<McError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(McError);
  return err as McError;
}

describe('db tool values and errors (testTools)', () => {
  let t: TestTools;
  beforeEach(async () => {
    t = await testTools();
    await t.tools.db.execute({ sql: 'CREATE TABLE v (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB, u TEXT UNIQUE)' });
  });
  afterEach(async () => {
    await t.close();
  });

  it('round-trips an int64 past 2^53 exactly, as a parameter and as a result', async () => {
    const echoed = await t.tools.db.queryOne({ sql: 'SELECT ? AS n, typeof(?) AS t, 9007199254740993 AS literal', params: [BIG, BIG] });
    expect(echoed).toEqual({ found: true, row: { n: BIG, t: 'integer', literal: BIG } });
    await t.tools.db.execute({ sql: 'INSERT INTO v (i) VALUES (?)', params: [BIG] });
    const { rows } = await t.tools.db.query({ sql: 'SELECT i, i + 1 AS next FROM v WHERE i = ?', params: [BIG] });
    expect(rows).toEqual([{ i: BIG, next: BIG + 1n }]);
    expect(rows[0]!.i === 9007199254740992n).toBe(false);
  });

  it('round-trips bytes, null, reals and unicode text', async () => {
    const bytes = new Uint8Array([0, 1, 2, 127, 128, 255]);
    const text = 'héllo wörld — 日本語 🌍';
    await t.tools.db.execute({ sql: 'INSERT INTO v (i, r, s, b) VALUES (?, ?, ?, ?)', params: [null, 1.5, text, bytes] });
    const row = (await t.tools.db.queryOne({ sql: 'SELECT i, r, s, b, typeof(b) AS tb, typeof(i) AS ti, length(s) AS chars FROM v' })).row!;
    expect(row.i).toBeNull();
    expect(row.ti).toBe('null');
    expect(row.r).toBe(1.5);
    expect(row.s).toBe(text);
    expect(row.chars).toBe(BigInt([...text].length));
    expect(row.tb).toBe('blob');
    expect(row.b).toBeInstanceOf(Uint8Array);
    expect(Array.from(row.b as Uint8Array)).toEqual([0, 1, 2, 127, 128, 255]);
  });

  it('execute reports changes and the inserted rowid; lastInsertId is 0 for an UPDATE', async () => {
    expect(await t.tools.db.execute({ sql: 'INSERT INTO v (s) VALUES (?)', params: ['a'] })).toEqual({ changes: 1n, lastInsertId: 1n });
    expect(await t.tools.db.execute({ sql: 'INSERT INTO v (s) VALUES (?)', params: ['b'] })).toEqual({ changes: 1n, lastInsertId: 2n });
    expect(await t.tools.db.execute({ sql: 'UPDATE v SET s = s || ?', params: ['!'] })).toEqual({ changes: 2n, lastInsertId: 0n });
    expect(await t.tools.db.execute({ sql: 'DELETE FROM v WHERE s = ?', params: ['zzz'] })).toEqual({ changes: 0n, lastInsertId: 0n });
  });

  // Issue 7, item 11: lastInsertId per statement kind, never an earlier statement's.
  it('reports lastInsertId for INSERT, WITH … INSERT and a commented INSERT, and 0 for UPDATE, DELETE and an ignored INSERT', async () => {
    expect(await t.tools.db.execute({ sql: 'INSERT INTO v (s) VALUES (?)', params: ['a'] })).toEqual({ changes: 1n, lastInsertId: 1n });
    expect(await t.tools.db.execute({ sql: 'UPDATE v SET s = ? WHERE id = 1', params: ['b'] })).toEqual({ changes: 1n, lastInsertId: 0n });
    expect(await t.tools.db.execute({ sql: 'WITH n(x) AS (SELECT 5) INSERT INTO v (i) SELECT x FROM n' })).toEqual({ changes: 1n, lastInsertId: 2n });
    expect(await t.tools.db.execute({ sql: '-- a note\n/* and (another) */ INSERT INTO v (s) VALUES (?)', params: ['c'] })).toEqual({ changes: 1n, lastInsertId: 3n });
    expect(await t.tools.db.execute({ sql: 'REPLACE INTO v (id, s) VALUES (7, ?)', params: ['d'] })).toEqual({ changes: 1n, lastInsertId: 7n });
    expect(await t.tools.db.execute({ sql: 'WITH old AS (SELECT 1) UPDATE v SET i = 1 WHERE id IN (SELECT 1 FROM old)' })).toEqual({ changes: 1n, lastInsertId: 0n });
    expect(await t.tools.db.execute({ sql: 'INSERT OR IGNORE INTO v (id, s) VALUES (1, ?)', params: ['dup'] })).toEqual({ changes: 0n, lastInsertId: 0n });
    expect(await t.tools.db.execute({ sql: 'DELETE FROM v WHERE id = 7' })).toEqual({ changes: 1n, lastInsertId: 0n });
  });

  it('runs a transaction and returns each result in order', async () => {
    const out = await t.tools.db.transaction({
      statements: [
        { sql: 'INSERT INTO v (s) VALUES (?)', params: ['a'] },
        { sql: 'INSERT INTO v (s) VALUES (?)', params: ['b'] },
        { sql: 'SELECT s FROM v ORDER BY id', params: [] },
      ],
    });
    expect(out.results).toEqual([
      { columns: [], rows: [], changes: 1n, lastInsertId: 1n },
      { columns: [], rows: [], changes: 1n, lastInsertId: 2n },
      { columns: ['s'], rows: [{ s: 'a' }, { s: 'b' }], changes: 0n, lastInsertId: 0n },
    ]);
  });

  it('rolls back every statement of a transaction when one fails, naming the statement', async () => {
    const err = await failure(
      t.tools.db.transaction({
        statements: [
          { sql: 'INSERT INTO v (s) VALUES (?)', params: ['kept?'] },
          { sql: 'INSERT INTO no_such_table (x) VALUES (?)', params: [1n] },
          { sql: 'INSERT INTO v (s) VALUES (?)', params: ['never'] },
        ],
      }),
    );
    expect(err.code).toBe('MC_ERR_DB_QUERY');
    expect(err.details.statement).toBe('1');
    expect(err.details.sql).toBe('INSERT INTO no_such_table (x) VALUES (?)');
    expect(err.message).toContain('no such table: no_such_table');
    expect(err.message).toContain('test/plugin');
    const { rows } = await t.tools.db.query({ sql: 'SELECT count(*) AS n FROM v' });
    expect(rows).toEqual([{ n: 0n }]);
  });

  it('answers a unique violation with MC_ERR_DB_UNIQUE (errors.test.ts has every kind)', async () => {
    await t.tools.db.execute({ sql: 'INSERT INTO v (u) VALUES (?)', params: ['same'] });
    const err = await failure(t.tools.db.execute({ sql: 'INSERT INTO v (u) VALUES (?)', params: ['same'] }));
    expect(err.code).toBe('MC_ERR_DB_UNIQUE');
    expect(err.details).toMatchObject({ kind: 'unique', table: 'v', columns: 'u', sqliteCode: 'SQLITE_CONSTRAINT_UNIQUE' });
    const pk = await failure(t.tools.db.execute({ sql: 'INSERT INTO v (id) VALUES (1)' }));
    expect(pk.code).toBe('MC_ERR_DB_UNIQUE');
  });

  it('answers bad SQL with MC_ERR_DB_QUERY, naming the SQL', async () => {
    const err = await failure(t.tools.db.query({ sql: 'SELEC 1' }));
    expect(err.code).toBe('MC_ERR_DB_QUERY');
    expect(err.details.sql).toBe('SELEC 1');
    expect(err.details.statement).toBeUndefined();
  });

  it('answers SQL it cannot prepare or bind (empty text, wrong parameter count) with MC_ERR_DB_QUERY, not an internal error', async () => {
    await expect(t.tools.db.query({ sql: '' })).rejects.toMatchObject({ code: 'MC_ERR_DB_QUERY', details: { sqliteCode: 'RangeError' } });
    await expect(t.tools.db.query({ sql: 'SELECT ?', params: [1n, 2n] })).rejects.toMatchObject({ code: 'MC_ERR_DB_QUERY' });
  });

  it('refuses to bind a list or a map, naming the parameter', async () => {
    const list = await failure(t.tools.db.query({ sql: 'SELECT ?, ?', params: [1n, [1n, 2n]] }));
    expect(list.code).toBe('MC_ERR_INVALID_ARGUMENT');
    expect(list.details).toEqual({ field: 'params[1]' });
    expect(list.message).toContain('params[1] is a list');
    const map = await failure(t.tools.db.query({ sql: 'SELECT ?', params: [{ a: 1n }] }));
    expect(map.code).toBe('MC_ERR_INVALID_ARGUMENT');
    expect(map.message).toContain('params[0] is a map');
  });

  it('refuses a field that is not in the contract, before calling the tool', async () => {
    const err = await failure(t.tools.db.query({ sql: 'SELECT 1', args: [] } as never));
    expect(err.code).toBe('MC_ERR_INVALID_ARGUMENT');
    expect(err.message).toContain('args is not a field of microcore.v1.QueryRequest');
    expect(t.metrics.recent().filter((r) => r.method === 'query')).toEqual([]);
  });
});

describe('db tool migrations (real kernel, real file)', () => {
  let dir: string;
  let project: TestProject | undefined;
  let kernels: Kernel[] = [];
  let roots: string[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mc-db-'));
  });
  afterEach(async () => {
    await project?.stop();
    project = undefined;
    for (const k of kernels) await k.shutdown();
    kernels = [];
    for (const r of [...roots, dir]) rmSync(r, { recursive: true, force: true });
    roots = [];
  });

  const TRIGGER_MIGRATION = `
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, big INTEGER, data BLOB);
CREATE TABLE audit (item_id INTEGER, note TEXT);
-- A trigger body holds statements ending in ';': the file must not be split on them.
CREATE TRIGGER items_audit AFTER INSERT ON items BEGIN
  INSERT INTO audit (item_id, note) VALUES (new.id, 'created; ' || new.name);
  UPDATE audit SET note = note || '!' WHERE item_id = new.id;
END;
`;

  function open(path: string): Database.Database {
    const db = new Database(path, { readonly: true });
    db.defaultSafeIntegers(true);
    return db;
  }

  it('applies a migration with a trigger, and stores int64 and bytes with their SQLite types', async () => {
    const file = join(dir, 'shop.db');
    project = await bootProject(
      {
        'domains/shop/migrations/001_items.sql': TRIGGER_MIGRATION,
        'domains/shop/plugins/seed.ts': plugin(`
          export class SeedPlugin {
            constructor({ db }) { this.db = db; }
            async onBoot() {
              await this.db.execute({ sql: 'INSERT INTO items (name, big, data) VALUES (?, ?, ?)', params: ['pen', ${BIG}n, new Uint8Array([0, 255])] });
            }
          }`),
      },
      { env: { DATABASE_PATH: file } },
    );
    expect(project.item('db')!.status).toBe('ready');
    expect(project.item('shop/seed')!.status).toBe('ready');
    const db = open(file);
    try {
      expect(db.prepare('SELECT owner, file, length(sha256) AS hash FROM _microcore_migrations').all()).toEqual([{ owner: 'shop', file: '001_items.sql', hash: 64n }]);
      const row = db.prepare('SELECT big, typeof(big) AS tbig, data, typeof(data) AS tdata FROM items').get() as Record<string, unknown>;
      expect(row).toMatchObject({ big: BIG, tbig: 'integer', tdata: 'blob' });
      expect(Array.from(row.data as Buffer)).toEqual([0, 255]);
      expect(db.prepare('SELECT item_id, note FROM audit').all()).toEqual([{ item_id: 1n, note: 'created; pen!' }]);
    } finally {
      db.close();
    }
  });

  it('does not re-apply a recorded migration on a second boot of the same root', async () => {
    const file = join(dir, 'twice.db');
    const root = writeProject({ 'domains/shop/migrations/001_items.sql': TRIGGER_MIGRATION });
    roots.push(root);
    const env = { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_PATH: file };

    const first = new Kernel({ root, env });
    kernels.push(first);
    await first.boot();
    expect(first.registry.get('tool', 'db')!.status).toBe('ready');
    await first.shutdown();
    const before = open(file);
    const recorded = before.prepare('SELECT owner, file, sha256, applied_at FROM _microcore_migrations').all();
    before.close();
    expect(recorded).toHaveLength(1);

    const second = new Kernel({ root, env });
    kernels.push(second);
    await second.boot();
    // Re-running CREATE TABLE items would fail, and so fail the db tool.
    expect(second.registry.get('tool', 'db')).toMatchObject({ status: 'ready' });
    const after = open(file);
    try {
      expect(after.prepare('SELECT owner, file, sha256, applied_at FROM _microcore_migrations').all()).toEqual(recorded);
      expect(after.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'trigger'").get()).toEqual({ n: 1n });
    } finally {
      after.close();
    }
  });

  it('fails the db tool on a broken migration, naming the file, applying none of it; plugins needing db fail, others stay ready', async () => {
    const file = join(dir, 'broken.db');
    project = await bootProject(
      {
        'domains/shop/migrations/001_items.sql': 'CREATE TABLE items (id INTEGER PRIMARY KEY);\n',
        'domains/shop/migrations/002_broken.sql': 'CREATE TABLE half (id INTEGER);\nCREATE TABLE oops (id INTEGR PRIMARY KEY,;\n',
        'domains/shop/plugins/needs-db.ts': plugin(`export class NeedsDb { constructor({ db }) { this.db = db; } }`),
        'domains/shop/plugins/no-db.ts': plugin(`export class NoDb { constructor({ logger }) { this.logger = logger; } }`),
      },
      { env: { DATABASE_PATH: file } },
    );
    const dbTool = project.item('db')!;
    expect(dbTool.status).toBe('failed');
    expect(dbTool.code).toBe('MC_ERR_DB_MIGRATION');
    expect(dbTool.reason).toContain('domains/shop/migrations/002_broken.sql failed at statement 2 (line 2)');
    expect(project.item('shop/needs-db')).toMatchObject({ status: 'failed', code: 'MC_ERR_PLUGIN_MISSING_TOOL' });
    expect(project.item('shop/needs-db')!.reason).toContain("needs tool 'db'");
    expect(project.item('shop/no-db')!.status).toBe('ready');
    expect(project.item('http')!.status).toBe('ready');
    await project.stop();
    project = undefined;
    const db = open(file);
    try {
      expect(db.prepare('SELECT file FROM _microcore_migrations').all()).toEqual([{ file: '001_items.sql' }]);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name").all()).toEqual([{ name: 'items' }]);
    } finally {
      db.close();
    }
  });
});

describe('db tool boundaries', () => {
  it('refuses ATTACH, DETACH, VACUUM and PRAGMA from plugins, comments or not', async () => {
    const t = await testTools();
    try {
      for (const sql of ["ATTACH DATABASE '/tmp/mc-attack.db' AS x", 'detach x', "VACUUM INTO '/tmp/mc-copy.db'", '/* hi */ -- there\n pragma foreign_keys = OFF']) {
        await expect(t.tools.db.execute({ sql }), sql).rejects.toMatchObject({ code: 'MC_ERR_CAP_DENIED' });
      }
      const { rows } = await t.tools.db.query({ sql: "SELECT 'PRAGMA' AS word" });
      expect(rows).toEqual([{ word: 'PRAGMA' }]);
    } finally {
      await t.close();
    }
  });
});
