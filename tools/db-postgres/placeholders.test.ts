// The ? → $n translation: fixed cases for each lexical rule, a property over
// random SQL built from pieces whose translation is known, and the statement
// splitter migrations use.
import { describe, expect, it } from 'vitest';
import { SqlTextError, splitStatements, toPositional, translate } from './placeholders.ts';

describe('translate', () => {
  it.each([
    ['SELECT ?', 'SELECT $1'],
    ['SELECT ?, ?,?', 'SELECT $1, $2,$3'],
    ["SELECT '?', ?", "SELECT '?', $1"],
    ["SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"],
    ["SELECT E'\\' ?', ?", "SELECT E'\\' ?', $1"],
    ["SELECT e'a\\\\', ?", "SELECT e'a\\\\', $1"],
    ["SELECT '\\' , ?", "SELECT '\\' , $1"], // standard strings: a backslash is a character
    ['SELECT "col?", ?', 'SELECT "col?", $1'],
    ['SELECT "a""?", ?', 'SELECT "a""?", $1'],
    ['SELECT $$ ? $$, ?', 'SELECT $$ ? $$, $1'],
    ['SELECT $fn$ ? $$ ? $fn$, ?', 'SELECT $fn$ ? $$ ? $fn$, $1'],
    ['SELECT ? -- why?\n, ?', 'SELECT $1 -- why?\n, $2'],
    ['SELECT /* ? /* nested ? */ still ? */ ?', 'SELECT /* ? /* nested ? */ still ? */ $1'],
    ["SELECT data ?? 'k' FROM t WHERE data ??| ? AND data ??& ?", "SELECT data ? 'k' FROM t WHERE data ?| $1 AND data ?& $2"],
    ['SELECT a$b, ?', 'SELECT a$b, $1'],
    ['SELECT $1, $2', 'SELECT $1, $2'],
    ['SELECT 1', 'SELECT 1'],
    ["SELECT 'unterminated ?", "SELECT 'unterminated ?"],
  ])('%j → %j', (sql, expected) => {
    expect(translate(sql)).toBe(expected);
    expect(toPositional(sql)).toBe(expected); // the cached path agrees, twice
    expect(toPositional(sql)).toBe(expected);
  });

  it('refuses SQL that mixes ? and $n, saying how to write it', () => {
    expect(() => translate('SELECT ? WHERE x = $1')).toThrow(SqlTextError);
    expect(() => translate('SELECT ? WHERE x = $1')).toThrow('mixes ? and $n');
    expect(() => translate("SELECT ?, '$1'")).not.toThrow(); // a $1 inside a string is text
  });

  // Random SQL from pieces: each piece's translation is known, and a piece's
  // `?` count says how many parameters it holds. Literals and comments must come
  // out unchanged whatever surrounds them.
  it('translates random mixes of literals, comments and placeholders (property, 500 cases)', () => {
    const pieces: [string, string, number][] = [
      ['?', '$', 1],
      ["'a?b'", "'a?b'", 0],
      ["'x''?'", "'x''?'", 0],
      ["E'\\'?'", "E'\\'?'", 0],
      ['"q?"', '"q?"', 0],
      ['$$?;$$', '$$?;$$', 0],
      ['$t$ ? $t$', '$t$ ? $t$', 0],
      ['-- ?\n', '-- ?\n', 0],
      ['/* ? /* ? */ */', '/* ? /* ? */ */', 0],
      ['??', '?', 0],
      [' = ', ' = ', 0],
      ['col', 'col', 0],
      ['(', '(', 0],
      [')', ')', 0],
    ];
    let seed = 20261202;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let c = 0; c < 500; c++) {
      let sql = 'SELECT ';
      let expected = 'SELECT ';
      let n = 0;
      for (let k = random(12); k >= 0; k--) {
        const [piece, out, params] = pieces[random(pieces.length)]!;
        sql += piece + ' ';
        expected += (params ? `$${++n}` : out) + ' ';
      }
      expect(translate(sql), sql).toBe(expected);
    }
  });
});

describe('splitStatements', () => {
  it("splits at ';' outside strings, names, dollar quotes and comments, with each statement's line", () => {
    const sql = `-- header; not a statement
CREATE TABLE a (x TEXT DEFAULT ';');
/* a; comment */
CREATE FUNCTION f() RETURNS trigger AS $$
BEGIN
  NEW.x := 'y;';
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TABLE "b;c" (y INT);;
-- trailing comment`;
    expect(splitStatements(sql)).toEqual([
      { sql: "CREATE TABLE a (x TEXT DEFAULT ';')", line: 2 },
      { sql: expect.stringMatching(/^CREATE FUNCTION f\(\)[\s\S]*LANGUAGE plpgsql$/), line: 4 },
      { sql: 'CREATE TABLE "b;c" (y INT)', line: 11 },
    ]);
  });
});
