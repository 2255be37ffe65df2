// Portable placeholders: plugins write `?` for each parameter, as for SQLite;
// PostgreSQL wants `$1 … $n`. The translation walks PostgreSQL's lexical rules
// so a `?` inside text is left alone: '…' strings ('' escapes), E'…' strings
// (backslash escapes too), "…" identifiers, $tag$…$tag$ dollar quotes, `--`
// comments and /* */ comments (which nest in PostgreSQL).
//
// jsonb's operators `?`, `?|` and `?&` are written `??`, `??|`, `??&` (as JDBC
// does): a doubled `?` is one literal `?`, never a parameter.
//
// SQL already written with `$1`-style parameters (PostgreSQL-only SQL) passes
// through unchanged when it has no `?`; mixing both styles is refused, since no
// reading of it is obviously right.

/** SQL text the driver refuses before PostgreSQL sees it; tool.ts reports it as MC_ERR_DB_QUERY. */
export class SqlTextError extends Error {
  override name = 'SqlTextError';
  readonly fix: string;
  constructor(message: string, fix: string) {
    super(message);
    this.fix = fix;
  }
}

const CACHE_SIZE = 500;
const cache = new Map<string, string>();

/** `sql` with each `?` as `$n`; cached, since plugins send the same text again and again. */
export function toPositional(sql: string): string {
  let out = cache.get(sql);
  if (out === undefined) {
    out = translate(sql);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(sql, out);
  }
  return out;
}

const WORD = /[\w\u0080-\uffff$]/;
const TAG = /^\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/;

/** The translation itself (exported for the tests, which compare it with the cached path). */
export function translate(sql: string): string {
  let out = '';
  let n = 0;
  let dollarParams = false;
  let copied = 0;
  let literal = -1; // the second ? of a ??
  for (const i of codeIndexes(sql)) {
    const c = sql[i];
    if (c === '$') dollarParams = true;
    if (c !== '?' || i === literal) continue;
    if (sql[i + 1] === '?') {
      out += sql.slice(copied, i + 1);
      literal = i + 1;
      copied = i + 2;
    } else {
      out += sql.slice(copied, i) + `$${++n}`;
      copied = i + 1;
    }
  }
  out += sql.slice(copied);
  if (n > 0 && dollarParams) {
    throw new SqlTextError('the SQL mixes ? and $n parameters', 'Write every parameter as ? (portable), or every one as $1, $2 … (PostgreSQL only); a jsonb ? operator is written ??.');
  }
  return out;
}

/** The statements of a migration file, split at each ';' outside quotes and comments, with the 1-based line each starts on. */
export function splitStatements(sql: string): { sql: string; line: number }[] {
  const out: { sql: string; line: number }[] = [];
  let start = 0;
  for (const i of [...codeIndexes(sql), sql.length]) {
    if (i < sql.length && sql[i] !== ';') continue;
    const text = sql.slice(start, i);
    const lead = firstCode(text);
    if (lead >= 0) out.push({ sql: text.slice(lead).trimEnd(), line: 1 + (sql.slice(0, start + lead).match(/\n/g)?.length ?? 0) });
    start = i + 1;
  }
  return out;
}

/** Where the first character outside whitespace and comments is, or -1. */
function firstCode(text: string): number {
  for (const span of spans(text)) if (span.kind !== 'comment') return span.start;
  return -1;
}

/**
 * The indexes of the characters of `sql` that are code: outside '…' and E'…'
 * strings, "…" identifiers, dollar-quoted text and comments. A `$` is yielded
 * only where it starts a `$n` parameter.
 */
export function* codeIndexes(sql: string): Generator<number> {
  for (const span of spans(sql)) if (span.kind === 'code') yield span.start;
}

export interface Span {
  /** code: one character; literal: a string, quoted name or dollar-quoted text; comment: -- or /* *\/. */
  kind: 'code' | 'literal' | 'comment';
  start: number;
  end: number;
}

/** `sql` cut by PostgreSQL's lexical rules (whitespace and a `$` inside a name are neither: they are skipped). */
export function* spans(sql: string): Generator<Span> {
  let i = 0;
  while (i < sql.length) {
    const start = i;
    const c = sql[i]!;
    const next = sql[i + 1];
    const prev = i > 0 ? sql[i - 1]! : '';
    if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? sql.length : nl;
      yield { kind: 'comment', start, end: i };
    } else if (c === '/' && next === '*') {
      i = blockCommentEnd(sql, i);
      yield { kind: 'comment', start, end: i };
    } else if (c === "'" || c === '"') {
      // E'…' (or e'…'): the E must start its own token, not end a word like `name'`.
      const escaped = c === "'" && (prev === 'E' || prev === 'e') && !WORD.test(sql[i - 2] ?? '');
      i = stringEnd(sql, i, escaped, c);
      yield { kind: 'literal', start, end: i };
    } else if (c === '$' && !WORD.test(prev) && TAG.test(sql.slice(i, i + 64))) {
      const tag = TAG.exec(sql.slice(i, i + 64))![0];
      const close = sql.indexOf(tag, i + tag.length);
      i = close === -1 ? sql.length : close + tag.length;
      yield { kind: 'literal', start, end: i };
    } else {
      i++;
      // A `$` inside a name (a$b) is part of it; a `$` before a digit starts a $n parameter.
      if (c === '$' && (WORD.test(prev) || !(next !== undefined && next >= '0' && next <= '9'))) continue;
      if (/\s/.test(c)) continue;
      yield { kind: 'code', start, end: i };
    }
  }
}

/** The index after a quoted token opened at `open`; a doubled quote is an escape, and so is a backslash in E'…'. */
function stringEnd(sql: string, open: number, backslashes: boolean, quote: string): number {
  let i = open + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslashes && c === '\\') i += 2;
    else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

/** The index after the /* comment opened at `open`: PostgreSQL's block comments nest. */
function blockCommentEnd(sql: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      i += 2;
      if (--depth === 0) return i;
    } else i++;
  }
  return sql.length;
}
