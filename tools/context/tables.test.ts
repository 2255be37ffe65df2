import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readTables } from './tables.ts';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function migrations(files: Record<string, string>): string {
  root = mkdtempSync(join(tmpdir(), 'mc-tables-'));
  for (const [path, sql] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), sql);
  }
  return root;
}

describe('readTables', () => {
  // Issue 10: AI_CONTEXT.md listed a table's CREATE TABLE columns only.
  it('adds the columns ALTER TABLE … ADD COLUMN adds in later migrations, with or without COLUMN, quoted or not', () => {
    migrations({
      'a/migrations/001_orders.sql': 'CREATE TABLE orders (id INTEGER PRIMARY KEY, sku TEXT NOT NULL);',
      'a/migrations/002_status.sql': "-- ALTER TABLE orders ADD COLUMN commented TEXT;\nALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'placed' CHECK (status IN ('placed'));\nalter table \"orders\" add \"note\" TEXT;",
      'b/migrations/001_more.sql': 'ALTER TABLE orders ADD COLUMN reserved INTEGER;\nALTER TABLE missing ADD COLUMN x TEXT;',
    });
    expect(readTables(root, [{ owner: 'a', dir: 'a/migrations' }, { owner: 'b', dir: 'b/migrations' }])).toEqual([
      { owner: 'a', table: 'orders', columns: ['id INTEGER', 'sku TEXT', 'status TEXT', 'note TEXT', 'reserved INTEGER'], file: 'a/migrations/001_orders.sql' },
    ]);
  });
});
