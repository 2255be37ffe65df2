// Migration order across owners: name order per owner, `-- depends:` across
// owners, by owner then name otherwise; unknown owners and cycles are errors.
import { describe, expect, it } from 'vitest';
import { McError } from '../../kernel/index.ts';
import { orderMigrations, readDepends, type MigrationFile } from './migration-order.ts';

function file(owner: string, name: string, sql = 'SELECT 1;'): MigrationFile {
  const path = `domains/${owner}/migrations/${name}`;
  return { owner, file: name, path, sql, depends: readDepends(path, sql) };
}

const order = (files: MigrationFile[]) => orderMigrations(files).map((f) => `${f.owner}/${f.file}`);

function failure(run: () => unknown): McError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(McError);
    return err as McError;
  }
  throw new Error('expected an error');
}

describe('readDepends', () => {
  it('reads owners from header lines, comma-separated, over several lines, without duplicates', () => {
    expect(readDepends('x.sql', '-- Orders.\n-- depends: inventory, users\n--Depends:sidecar/inventory, users\nCREATE TABLE o (id);')).toEqual(['inventory', 'users', 'sidecar/inventory']);
    expect(readDepends('x.sql', 'CREATE TABLE o (id);')).toEqual([]);
  });

  it('refuses a depends line after the first statement, and an empty owner, naming the file and line', () => {
    const late = failure(() => readDepends('domains/a/migrations/001.sql', 'CREATE TABLE o (id);\n-- depends: users\n'));
    expect(late.code).toBe('MC_ERR_DB_MIGRATION');
    expect(late.message).toContain('domains/a/migrations/001.sql line 2: "-- depends:" comes after the first statement');
    expect(failure(() => readDepends('x.sql', '-- depends: users,\nSELECT 1;')).message).toContain('names an empty owner');
  });
});

describe('orderMigrations', () => {
  it('orders by owner, then file name, when nothing constrains it', () => {
    expect(order([file('b', '002.sql'), file('a', '002.sql'), file('b', '001.sql'), file('a', '001.sql')])).toEqual(['a/001.sql', 'a/002.sql', 'b/001.sql', 'b/002.sql']);
  });

  it('puts a file after every migration of the owners it depends on, and keeps each owner in name order', () => {
    const files = [file('accounts', '001.sql', '-- depends: zebra\nSELECT 1;'), file('accounts', '002.sql'), file('zebra', '001.sql'), file('zebra', '002.sql'), file('middle', '001.sql')];
    expect(order(files)).toEqual(['middle/001.sql', 'zebra/001.sql', 'zebra/002.sql', 'accounts/001.sql', 'accounts/002.sql']);
  });

  it('refuses a dependency on an owner without migrations, naming the file and the owner', () => {
    const err = failure(() => orderMigrations([file('orders', '001.sql', '-- depends: shipping\nSELECT 1;'), file('users', '001.sql')]));
    expect(err.code).toBe('MC_ERR_DB_MIGRATION');
    expect(err.message).toContain("domains/orders/migrations/001.sql depends on 'shipping', which has no migrations (owners with migrations: orders, users)");
    expect(err.details).toEqual({ file: 'domains/orders/migrations/001.sql', owners: 'shipping' });
  });

  it('refuses a cycle, naming every file and owner in it', () => {
    const files = [file('a', '001.sql', '-- depends: b\nSELECT 1;'), file('b', '001.sql', '-- depends: a\nSELECT 1;'), file('c', '001.sql')];
    const err = failure(() => orderMigrations(files));
    expect(err.code).toBe('MC_ERR_DB_MIGRATION');
    expect(err.details).toEqual({ files: 'domains/a/migrations/001.sql, domains/b/migrations/001.sql', owners: 'a, b' });
    expect(err.message).toContain("migration dependency cycle among 'a', 'b': ");
    expect(err.message).toContain('domains/a/migrations/001.sql must follow domains/b/migrations/001.sql (-- depends: b)');
    expect(err.message).toContain('domains/b/migrations/001.sql must follow domains/a/migrations/001.sql (-- depends: a)');
  });

  it('finds a cycle that runs through name order, and a file depending on its own owner', () => {
    // b/001 needs all of a (a/002 included); a/002 needs b; a/002 follows a/001 by name.
    const files = [file('a', '001.sql'), file('a', '002.sql', '-- depends: b\nSELECT 1;'), file('b', '001.sql', '-- depends: a\nSELECT 1;')];
    expect(failure(() => orderMigrations(files)).details.owners).toBe('a, b');
    const self = failure(() => orderMigrations([file('a', '001.sql', '-- depends: a\nSELECT 1;')]));
    expect(self.details).toEqual({ files: 'domains/a/migrations/001.sql', owners: 'a' });
  });
});
