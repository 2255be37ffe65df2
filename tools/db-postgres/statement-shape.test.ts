// What execute reads from a statement before running it (statement-shape.ts).
import { describe, expect, it } from 'vitest';
import { statementShape } from './statement-shape.ts';

describe('statementShape', () => {
  it.each([
    ['INSERT INTO v (s) VALUES ($1)', { kind: 'insert', table: 'v', returning: false }],
    ['-- note\n/* (x) */ WITH a AS (INSERT INTO z VALUES (1) RETURNING id) INSERT INTO public."Items" (x) SELECT 1 FROM a', { kind: 'insert', table: 'public."Items"', returning: false }],
    ["INSERT INTO t VALUES ('returning') RETURNING id", { kind: 'insert', table: 't', returning: true }],
    ['insert into "we""ird" default values', { kind: 'insert', table: '"we""ird"', returning: false }],
    ['UPDATE t SET a = 1 RETURNING a', { kind: 'update', table: undefined, returning: true }],
    ['WITH old AS (SELECT 1) DELETE FROM t', { kind: 'delete', table: undefined, returning: false }],
    ['CREATE TABLE x (id INT)', { kind: 'other', table: undefined, returning: false }],
  ])('%j', (sql, shape) => {
    expect(statementShape(sql)).toMatchObject(shape);
  });

  it('ends before a trailing semicolon and comment, keeping a final string', () => {
    const sql = "INSERT INTO t SELECT 'a;' ; -- done";
    expect(sql.slice(0, statementShape(sql).end)).toBe("INSERT INTO t SELECT 'a;'");
    expect(statementShape('  -- only a comment\n').end).toBe(0);
  });
});
