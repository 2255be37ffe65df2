// What execute needs to know about a statement before running it, read with
// PostgreSQL's lexical rules (placeholders.ts: strings, quoted names, dollar
// quotes and comments are not code): what it does, past leading comments and a
// WITH clause; for an INSERT, the table it writes and whether it has its own
// RETURNING clause; and where its code ends, so a RETURNING can be appended
// before a trailing ';' or comment.
import { spans } from './placeholders.ts';

export type StatementKind = 'insert' | 'update' | 'delete' | 'select' | 'values' | 'other';
const KINDS = new Set<string>(['insert', 'update', 'delete', 'select', 'values']);

export interface StatementShape {
  kind: StatementKind;
  /** For an INSERT: its target as written (`items`, `public.items`, `"Items"`). */
  table?: string;
  /** A RETURNING clause outside parentheses (one inside a WITH clause's INSERT does not count). */
  returning: boolean;
  /** The index just past the statement's last code character, before any trailing ';'; 0 for SQL that is only whitespace and comments. */
  end: number;
}

const NAME = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*)`;
const INSERT_INTO = new RegExp(String.raw`^INSERT\s+INTO\s+(${NAME}(?:\s*\.\s*${NAME})?)`, 'i');
const TOKEN = /[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*|[();]/g;

export function statementShape(sql: string): StatementShape {
  // The code alone: everything else (strings, quoted names, comments) blanked, same length.
  const chars = Array.from({ length: sql.length }, () => ' ');
  let end = 0; // past the last code or literal, not counting a ';' there
  for (const span of spans(sql)) {
    if (span.kind === 'code') chars[span.start] = sql[span.start]!;
    if (span.kind === 'literal' || (span.kind === 'code' && sql[span.start] !== ';')) end = span.end;
  }
  const code = chars.join('');
  let kind: StatementKind = 'other';
  let at = -1;
  let returning = false;
  let depth = 0;
  for (const m of code.matchAll(TOKEN)) {
    const t = m[0];
    if (t === ';') break;
    if (t === '(') depth++;
    else if (t === ')') depth--;
    else if (depth === 0) {
      const word = t.toLowerCase();
      if (kind === 'other' && KINDS.has(word)) {
        kind = word as StatementKind;
        at = m.index;
      } else if (word === 'returning' && kind !== 'other') returning = true;
    }
  }
  const table = kind === 'insert' ? INSERT_INTO.exec(sql.slice(at))?.[1] : undefined;
  return { kind, table, returning, end };
}
