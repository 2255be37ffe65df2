// The migration statement splitter: where a ';' ends a statement, and where it
// does not (strings, identifiers, comments, trigger bodies).
import { describe, expect, it } from 'vitest';
import { splitSql, sqlComments } from './split-sql.ts';

const sqls = (text: string) => splitSql(text).map((s) => s.sql);

describe('splitSql', () => {
  it('splits on ";" and gives each statement the line of its first token', () => {
    expect(splitSql('CREATE TABLE a (x);\n\n  INSERT INTO a VALUES (1);\nSELECT 2')).toEqual([
      { sql: 'CREATE TABLE a (x)', line: 1 },
      { sql: 'INSERT INTO a VALUES (1)', line: 3 },
      { sql: 'SELECT 2', line: 4 },
    ]);
  });

  it('leaves out empty statements and comment-only text, and starts a statement after its leading comments', () => {
    expect(splitSql(';;\n-- only a comment\n/* and\n a block */\n;\nSELECT 1;\n-- trailing\n')).toEqual([{ sql: 'SELECT 1', line: 6 }]);
    expect(splitSql('')).toEqual([]);
  });

  it("keeps ';' inside strings, with '' escapes", () => {
    expect(sqls("INSERT INTO t VALUES ('a;b', 'it''s; fine');SELECT ';'")).toEqual(["INSERT INTO t VALUES ('a;b', 'it''s; fine')", "SELECT ';'"]);
  });

  it('keeps ";" inside "…", `…` and […] identifiers, with "" escapes', () => {
    expect(sqls('CREATE TABLE "a;""b" ("c;d" TEXT, `e;f` TEXT, [g;h] TEXT);SELECT 1')).toEqual(['CREATE TABLE "a;""b" ("c;d" TEXT, `e;f` TEXT, [g;h] TEXT)', 'SELECT 1']);
  });

  it('keeps ";" inside -- and /* */ comments within a statement', () => {
    expect(sqls('SELECT 1 -- not the end; really\n, 2 /* nor; this */ ;SELECT 3')).toEqual(['SELECT 1 -- not the end; really\n, 2 /* nor; this */', 'SELECT 3']);
  });

  it("keeps a trigger's BEGIN … END body whole, including ';' in strings and CASE … END inside it", () => {
    const trigger = `CREATE TRIGGER t_audit AFTER INSERT ON t
WHEN CASE WHEN new.x > 0 THEN 1 ELSE 0 END
BEGIN
  INSERT INTO audit VALUES (new.id, 'created; ' || new.name);
  UPDATE audit SET kind = CASE WHEN new.x > 1 THEN 'big;' ELSE 'small' END WHERE id = new.id;
  UPDATE audit SET note = new.end WHERE id = new.id;
END`;
    expect(splitSql(`CREATE TABLE t (x);\n${trigger};\nCREATE TABLE after_it (y);`)).toEqual([
      { sql: 'CREATE TABLE t (x)', line: 1 },
      { sql: trigger, line: 2 },
      { sql: 'CREATE TABLE after_it (y)', line: 9 },
    ]);
  });

  it('recognises CREATE TEMP TRIGGER and keywords in any case; BEGIN outside a trigger is an ordinary statement', () => {
    expect(sqls('create temp trigger x after delete on t begin delete from u; delete from v; end;begin;commit')).toEqual(['create temp trigger x after delete on t begin delete from u; delete from v; end', 'begin', 'commit']);
  });

  it('returns unterminated text as the last statement, for SQLite to report', () => {
    expect(sqls("SELECT 1; INSERT INTO t VALUES ('open;")).toEqual(['SELECT 1', "INSERT INTO t VALUES ('open;"]);
    expect(sqls('SELECT 1 /* open; ')).toEqual(['SELECT 1 /* open; ']);
    expect(sqls('CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; SELECT 2;')).toEqual(['CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; SELECT 2;']);
  });

  it('counts lines through multi-line strings and comments', () => {
    expect(splitSql("SELECT 'a\nb\nc';\n/*\n\n*/ SELECT 2;").map((s) => s.line)).toEqual([1, 6]);
  });
});

describe('sqlComments', () => {
  it('marks the -- comments before the first statement as the header', () => {
    expect(sqlComments('-- depends: users\n/* block */\n-- second\nCREATE TABLE a (x); -- later\nSELECT 1 -- inline\n')).toEqual([
      { text: 'depends: users', line: 1, header: true },
      { text: 'second', line: 3, header: true },
      { text: 'later', line: 4, header: false },
      { text: 'inline', line: 5, header: false },
    ]);
  });

  it('ignores -- inside strings and block comments', () => {
    expect(sqlComments("/* -- no */ SELECT '-- no'")).toEqual([]);
  });
});
