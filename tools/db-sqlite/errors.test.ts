// Each kind of db failure, from a real SQLite file through the real proxy
// (testTools): its code, HTTP status, and the facts in details.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { McError } from '../../kernel/index.ts';
import { testTools, type TestTools } from '../../kernel/testing.ts';

const SCHEMA = `
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL);
CREATE TABLE memberships (user_id INTEGER NOT NULL, team TEXT NOT NULL, UNIQUE (user_id, team));
CREATE TABLE "order lines" (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), qty INTEGER NOT NULL CONSTRAINT positive_qty CHECK (qty > 0), price INTEGER CHECK (price >= 0));
CREATE TABLE handles (handle TEXT NOT NULL);
CREATE UNIQUE INDEX handles_lower ON handles (lower(handle));
CREATE TABLE typed (n INTEGER) STRICT;
`;

let dir: string;
let file: string;
let t: TestTools;

async function failure(p: Promise<unknown>): Promise<McError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(McError);
  return err as McError;
}

/** code, HTTP status and details without the SQL text, for compact expectations. */
async function kindOf(p: Promise<unknown>) {
  const err = await failure(p);
  const { sql: _sql, ...details } = err.details;
  return { code: err.code, http: err.httpStatus, details };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mc-db-errors-'));
  file = join(dir, 'errors.db');
  t = await testTools({ env: { DATABASE_PATH: file, DATABASE_BUSY_TIMEOUT_MS: '0' } });
  for (const sql of SCHEMA.split(';').filter((s) => s.trim())) await t.tools.db.execute({ sql });
  await t.tools.db.execute({ sql: "INSERT INTO users (id, email, name) VALUES (1, 'ann@x.io', 'Ann')" });
});
afterEach(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('db error kinds (real file, real proxy)', () => {
  it('unique: a UNIQUE column, a composite UNIQUE, a primary key, and a unique index on an expression', async () => {
    const insertUser = "INSERT INTO users (email, name) VALUES ('ann@x.io', 'Other')";
    expect(await kindOf(t.tools.db.execute({ sql: insertUser }))).toEqual({ code: 'MC_ERR_DB_UNIQUE', http: 409, details: { kind: 'unique', table: 'users', columns: 'email', sqliteCode: 'SQLITE_CONSTRAINT_UNIQUE' } });
    await t.tools.db.execute({ sql: "INSERT INTO memberships VALUES (1, 'core')" });
    expect((await kindOf(t.tools.db.execute({ sql: "INSERT INTO memberships VALUES (1, 'core')" }))).details).toEqual({ kind: 'unique', table: 'memberships', columns: 'user_id,team', sqliteCode: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(await kindOf(t.tools.db.execute({ sql: "INSERT INTO users (id, email, name) VALUES (1, 'b@x.io', 'Bob')" }))).toEqual({ code: 'MC_ERR_DB_UNIQUE', http: 409, details: { kind: 'unique', table: 'users', columns: 'id', sqliteCode: 'SQLITE_CONSTRAINT_PRIMARYKEY' } });
    await t.tools.db.execute({ sql: "INSERT INTO handles VALUES ('Ann')" });
    // SQLite names the index, not the columns; the table comes from the statement.
    expect((await kindOf(t.tools.db.execute({ sql: "-- a comment first\nINSERT INTO handles VALUES ('ANN')" }))).details).toEqual({ kind: 'unique', table: 'handles', constraint: 'handles_lower', sqliteCode: 'SQLITE_CONSTRAINT_UNIQUE' });
  });

  it('constraint: NOT NULL, FOREIGN KEY, named and unnamed CHECK, STRICT type; the table from the statement when SQLite does not say', async () => {
    expect(await kindOf(t.tools.db.execute({ sql: 'INSERT INTO users (email) VALUES (?)', params: ['b@x.io'] }))).toEqual({ code: 'MC_ERR_DB_CONSTRAINT', http: 409, details: { kind: 'constraint', table: 'users', columns: 'name', sqliteCode: 'SQLITE_CONSTRAINT_NOTNULL' } });
    expect((await kindOf(t.tools.db.execute({ sql: 'INSERT INTO "order lines" (user_id, qty) VALUES (99, 1)' }))).details).toEqual({ kind: 'constraint', table: 'order lines', sqliteCode: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    expect((await kindOf(t.tools.db.execute({ sql: 'INSERT INTO "order lines" (user_id, qty) VALUES (1, 0)' }))).details).toEqual({ kind: 'constraint', table: 'order lines', constraint: 'positive_qty', sqliteCode: 'SQLITE_CONSTRAINT_CHECK' });
    await t.tools.db.execute({ sql: 'INSERT INTO "order lines" (user_id, qty, price) VALUES (1, 1, 5)' });
    expect((await kindOf(t.tools.db.execute({ sql: 'UPDATE "order lines" SET price = -1' }))).details).toEqual({ kind: 'constraint', table: 'order lines', constraint: 'price >= 0', sqliteCode: 'SQLITE_CONSTRAINT_CHECK' });
    expect((await kindOf(t.tools.db.execute({ sql: 'DELETE FROM users' }))).details).toEqual({ kind: 'constraint', table: 'users', sqliteCode: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    expect((await kindOf(t.tools.db.execute({ sql: 'INSERT INTO typed VALUES (?)', params: ['x'] }))).details).toEqual({ kind: 'constraint', table: 'typed', columns: 'n', sqliteCode: 'SQLITE_CONSTRAINT_DATATYPE' });
  });

  it('busy: another connection holds the write lock past the busy timeout', async () => {
    const other = new Database(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      expect(await kindOf(t.tools.db.execute({ sql: "INSERT INTO handles VALUES ('x')" }))).toEqual({ code: 'MC_ERR_DB_BUSY', http: 503, details: { kind: 'busy', sqliteCode: 'SQLITE_BUSY' } });
      // WAL: readers are not blocked by the writer.
      expect(await t.tools.db.query({ sql: 'SELECT count(*) AS n FROM handles' })).toEqual({ columns: ['n'], rows: [{ n: 0n }] });
      other.exec('ROLLBACK');
      expect(await t.tools.db.execute({ sql: "INSERT INTO handles VALUES ('x')" })).toEqual({ changes: 1n, lastInsertId: 1n });
    } finally {
      other.close();
    }
  });

  it('query: syntax, an unknown table, a wrong parameter count; the SQL is in details', async () => {
    const syntax = await failure(t.tools.db.query({ sql: 'SELEC 1' }));
    expect(syntax).toMatchObject({ code: 'MC_ERR_DB_QUERY', httpStatus: 500, details: { kind: 'query', sqliteCode: 'SQLITE_ERROR', sql: 'SELEC 1' } });
    expect((await kindOf(t.tools.db.query({ sql: 'SELECT * FROM nowhere' }))).details).toEqual({ kind: 'query', sqliteCode: 'SQLITE_ERROR' });
    expect((await kindOf(t.tools.db.query({ sql: 'SELECT ?', params: [1n, 2n] }))).details).toEqual({ kind: 'query', sqliteCode: 'RangeError' });
  });

  it('a transaction names the failing statement and keeps its kind', async () => {
    const err = await failure(
      t.tools.db.transaction({
        statements: [
          { sql: 'INSERT INTO handles VALUES (?)', params: ['kept?'] },
          { sql: "INSERT INTO users (email, name) VALUES ('ann@x.io', 'Again')", params: [] },
        ],
      }),
    );
    expect(err.code).toBe('MC_ERR_DB_UNIQUE');
    expect(err.details).toMatchObject({ kind: 'unique', table: 'users', columns: 'email', statement: '1' });
    expect(err.message).toContain('(statement 1, rolled back)');
    expect(await t.tools.db.query({ sql: 'SELECT count(*) AS n FROM handles' })).toEqual({ columns: ['n'], rows: [{ n: 0n }] });
  });
});
