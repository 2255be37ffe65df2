// Splits a migration file into its statements, so each runs (and fails) on its
// own, named by number and line. A small tokenizer, not a regex: a ';' ends a
// statement only outside '…' strings ('' escapes), "…" / `…` / […] identifiers,
// -- and /* */ comments, and the BEGIN … END body of a CREATE TRIGGER (where a
// CASE … END may nest). Unterminated text runs to the end of the file and comes
// back as the last statement, so SQLite's own error names it.

export interface SqlStatement {
  /** The statement's text, from its first token up to (not including) its ';'. */
  sql: string;
  /** 1-based line of its first token in the file. */
  line: number;
}

export interface SqlComment {
  /** The comment's text without its `--`, trimmed. */
  text: string;
  /** 1-based line of the comment. */
  line: number;
  /** True when no statement started before it (a header comment). */
  header: boolean;
}

type TokenKind = 'word' | 'semicolon' | 'line-comment' | 'block-comment' | 'other';

interface Token {
  kind: TokenKind;
  start: number;
  end: number;
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[\w$\u0080-\uffff]/;
const CLOSER: Record<string, string> = { "'": "'", '"': '"', '`': '`', '[': ']' };

function* tokens(text: string): Generator<Token> {
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const start = i;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? text.length : nl;
      yield { kind: 'line-comment', start, end: i };
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close === -1 ? text.length : close + 2;
      yield { kind: 'block-comment', start, end: i };
    } else if (c in CLOSER) {
      i = quotedEnd(text, i, CLOSER[c]!);
      yield { kind: 'other', start, end: i };
    } else if (c === ';') {
      i++;
      yield { kind: 'semicolon', start, end: i };
    } else if (WORD_START.test(c)) {
      while (i < text.length && WORD_PART.test(text[i]!)) i++;
      yield { kind: 'word', start, end: i };
    } else {
      i++;
      yield { kind: 'other', start, end: i };
    }
  }
}

/** The index after a quoted token opened at `open`; a doubled closer is an escape (not for […]). */
function quotedEnd(text: string, open: number, closer: string): number {
  let i = open + 1;
  while (i < text.length) {
    if (text[i] === closer) {
      if (closer !== ']' && text[i + 1] === closer) i += 2;
      else return i + 1;
    } else i++;
  }
  return text.length;
}

/** Tracks one statement's tokens to tell whether a ';' ends it. */
class StatementState {
  #words: string[] = [];
  #previous = '';
  #trigger = false;
  #inBody = false;
  #caseDepth = 0;

  /** Feeds a significant token (not a comment). */
  add(kind: TokenKind, raw: string): void {
    // After a '.', a word is a column or table name (new.end), never a keyword.
    if (kind === 'word' && this.#previous !== '.') this.#word(raw.toUpperCase());
    this.#previous = raw;
  }

  /** Whether a ';' here ends the statement (it does not inside a trigger body). */
  get endsAtSemicolon(): boolean {
    return !this.#inBody;
  }

  #word(word: string): void {
    if (this.#words.length < 3) {
      this.#words.push(word);
      const [first, second, third] = this.#words;
      this.#trigger ||= first === 'CREATE' && (second === 'TRIGGER' || ((second === 'TEMP' || second === 'TEMPORARY') && third === 'TRIGGER'));
    }
    if (!this.#trigger) return;
    if (word === 'CASE') this.#caseDepth++;
    else if (word === 'BEGIN' && !this.#inBody) this.#inBody = true;
    else if (word === 'END') {
      if (this.#caseDepth > 0) this.#caseDepth--;
      else this.#inBody = false;
    }
  }
}

function lineOf(text: string): (index: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return (index) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** The statements of `text`, in order; empty statements (a lone ';', only comments) are left out. */
export function splitSql(text: string): SqlStatement[] {
  const line = lineOf(text);
  const out: SqlStatement[] = [];
  let start = -1;
  let lastEnd = -1;
  let state = new StatementState();
  const finish = (): void => {
    if (start >= 0) out.push({ sql: text.slice(start, lastEnd), line: line(start) });
    start = -1;
    state = new StatementState();
  };
  for (const t of tokens(text)) {
    if (t.kind === 'semicolon' && state.endsAtSemicolon) {
      finish();
      continue;
    }
    if (t.kind === 'line-comment' || t.kind === 'block-comment') {
      if (start >= 0) lastEnd = t.end;
      continue;
    }
    if (start < 0) start = t.start;
    lastEnd = t.end;
    state.add(t.kind, text.slice(t.start, t.end));
  }
  finish();
  return out;
}

/** The `--` comments of `text`, each marked as a header comment or not. */
export function sqlComments(text: string): SqlComment[] {
  const line = lineOf(text);
  const out: SqlComment[] = [];
  let header = true;
  for (const t of tokens(text)) {
    if (t.kind === 'line-comment') out.push({ text: text.slice(t.start + 2, t.end).trim(), line: line(t.start), header });
    else if (t.kind !== 'block-comment') header = false;
  }
  return out;
}

export type StatementKind = 'insert' | 'replace' | 'update' | 'delete' | 'select' | 'values' | 'other';
const KINDS = new Set<StatementKind>(['insert', 'replace', 'update', 'delete', 'select', 'values']);

/**
 * What a statement does: its first data keyword outside parentheses, past leading
 * comments and a WITH clause (whose CTE bodies sit in parentheses), so
 * `WITH n AS (SELECT 1) INSERT …` is an insert and `/* note *\/ INSERT …` too.
 */
export function statementKind(sql: string): StatementKind {
  let depth = 0;
  for (const t of tokens(sql)) {
    if (t.kind === 'semicolon') break;
    if (t.kind === 'other') {
      if (sql[t.start] === '(') depth++;
      else if (sql[t.start] === ')') depth--;
    } else if (t.kind === 'word' && depth === 0) {
      const word = sql.slice(t.start, t.end).toLowerCase() as StatementKind;
      if (KINDS.has(word)) return word;
    }
  }
  return 'other';
}
