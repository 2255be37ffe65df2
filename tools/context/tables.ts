// The tables each migration folder creates, with their columns, read from the
// SQL itself (CREATE TABLE statements, then the columns ALTER TABLE … ADD
// COLUMN adds in any later migration), so AI_CONTEXT.md needs no database.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chooseMigrationFiles, type DbEngine } from '../db-common/migration-files.ts';

export interface TableInfo {
  owner: string;
  table: string;
  columns: string[];
  file: string;
}

const CREATE = /CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?["`]?(\w+)["`]?\s*\(/gi;
const ADD = /ALTER\s+TABLE\s+["`]?(\w+)["`]?\s+ADD\s+(?:COLUMN\s+)?["`]?(\w+)["`]?\s+(\w+)/gi;
const NOT_COLUMNS = /^(PRIMARY|UNIQUE|CHECK|FOREIGN|CONSTRAINT)\b/i;

/** `engine` picks a version's .sqlite.sql or .postgres.sql file over its portable one, as the db tool does. */
export function readTables(root: string, sources: readonly { owner: string; dir: string }[], engine: DbEngine = 'sqlite'): TableInfo[] {
  const tables: TableInfo[] = [];
  const added: { table: string; column: string }[] = [];
  for (const { owner, dir } of sources) {
    for (const { actual: file } of chooseMigrationFiles(readdirSync(join(root, dir)), engine)) {
      const sql = readFileSync(join(root, dir, file), 'utf8').replace(/--[^\n]*/g, '');
      for (const m of sql.matchAll(ADD)) added.push({ table: m[1]!, column: `${m[2]} ${m[3]}` });
      for (const m of sql.matchAll(CREATE)) {
        const body = balanced(sql, m.index! + m[0].length);
        const columns = splitTopLevel(body)
          .map((d) => d.trim())
          .filter((d) => d && !NOT_COLUMNS.test(d))
          .map((d) => d.replace(/\s+/g, ' ').split(' ').slice(0, 2).join(' '));
        tables.push({ owner, table: m[1]!, columns, file: `${dir}/${file}` });
      }
    }
  }
  // Once every table is known: a migration may alter a table another folder created.
  for (const { table, column } of added) tables.find((t) => t.table.toLowerCase() === table.toLowerCase())?.columns.push(column);
  return tables.sort((a, b) => a.owner.localeCompare(b.owner) || a.table.localeCompare(b.table));
}

/** The text up to the parenthesis closing the one opened just before `start`. */
function balanced(sql: string, start: number): string {
  let depth = 1;
  for (let i = start; i < sql.length; i++) {
    if (sql[i] === '(') depth++;
    else if (sql[i] === ')' && --depth === 0) return sql.slice(start, i);
  }
  return sql.slice(start);
}

function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '(') depth++;
    else if (body[i] === ')') depth--;
    else if (body[i] === ',' && depth === 0) {
      parts.push(body.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(body.slice(from));
  return parts;
}
