// The order migrations apply in, across every owner (domain, sidecar, wasm
// plugin folder). Within an owner, files apply in name order. A header line
// `-- depends: inventory, users` puts a file after every migration of those
// owners. Otherwise the order is stable: by owner, then by file name. An unknown
// owner or a cycle stops the db tool, naming the files and owners involved.
import { mcError } from '../../kernel/index.ts';
import { sqlComments } from './split-sql.ts';

export interface MigrationFile {
  owner: string;
  /** The file's name inside its folder: `001_users.sql`. */
  file: string;
  /** The path from the project root: `domains/users/migrations/001_users.sql`. */
  path: string;
  sql: string;
  /** The owners named by its `-- depends:` lines. */
  depends: string[];
}

const DEPENDS = /^depends\s*:(.*)$/i;

/** The owners a file's `-- depends:` header lines name; such a line below the header is an error. */
export function readDepends(path: string, sql: string): string[] {
  const owners: string[] = [];
  for (const c of sqlComments(sql)) {
    const m = DEPENDS.exec(c.text);
    if (!m) continue;
    if (!c.header) {
      throw mcError('MC_ERR_DB_MIGRATION', `${path} line ${c.line}: "-- depends:" comes after the first statement, where it would be ignored`, { file: path, line: String(c.line) }, undefined, 'Move the "-- depends:" line above the first statement of the file.');
    }
    const names = m[1]!.split(',').map((s) => s.trim());
    if (names.some((n) => !n)) {
      throw mcError('MC_ERR_DB_MIGRATION', `${path} line ${c.line}: "-- depends:${m[1]}" names an empty owner`, { file: path, line: String(c.line) }, undefined, 'Write "-- depends: <owner>[, <owner>…]", each owner a domain (users) or a plugin folder (sidecar/<name>, wasm/<name>).');
    }
    owners.push(...names);
  }
  return [...new Set(owners)];
}

const byOwnerThenFile = (a: MigrationFile, b: MigrationFile): number => compare(a.owner, b.owner) || compare(a.file, b.file);

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `files` in the order to apply them: every file after the files it must follow. */
export function orderMigrations(files: readonly MigrationFile[]): MigrationFile[] {
  const owners = new Set(files.map((f) => f.owner));
  const sorted = [...files].sort(byOwnerThenFile);
  for (const f of sorted) {
    const unknown = f.depends.filter((o) => !owners.has(o));
    if (unknown.length > 0) {
      throw mcError('MC_ERR_DB_MIGRATION', `${f.path} depends on ${unknown.map((o) => `'${o}'`).join(', ')}, which has no migrations (owners with migrations: ${[...owners].sort().join(', ')})`, { file: f.path, owners: unknown.join(', ') }, undefined, 'Name an owner that has a migrations folder (a domain, sidecar/<name> or wasm/<name>), or remove it from the "-- depends:" line.');
    }
  }
  // What each file must follow: the previous file of its owner, and every file of the owners it depends on.
  const after = new Map<MigrationFile, MigrationFile[]>();
  for (const f of sorted) {
    const previous = sorted.filter((g) => g.owner === f.owner && compare(g.file, f.file) < 0).at(-1);
    const deps = sorted.filter((g) => f.depends.includes(g.owner));
    after.set(f, [...new Set([...deps, ...(previous ? [previous] : [])])]);
  }
  const done = new Set<MigrationFile>();
  const order: MigrationFile[] = [];
  while (order.length < sorted.length) {
    // The first pending file (by owner, then name) whose predecessors are all placed.
    const next = sorted.find((f) => !done.has(f) && after.get(f)!.every((g) => done.has(g)));
    if (!next) throw cycleError(sorted.filter((f) => !done.has(f)), after);
    done.add(next);
    order.push(next);
  }
  return order;
}

/**
 * Every pending file waits on another pending one, so following those waits
 * from any of them must come back to a file already seen: that loop is the cycle.
 */
function cycleError(pending: MigrationFile[], after: Map<MigrationFile, MigrationFile[]>) {
  const waitsOn = (f: MigrationFile) => after.get(f)!.find((g) => pending.includes(g))!;
  const path: MigrationFile[] = [];
  let f = pending[0]!;
  while (!path.includes(f)) {
    path.push(f);
    f = waitsOn(f);
  }
  const loop = path.slice(path.indexOf(f)).reverse(); // each file before the next
  // Start at its first file by owner and name, so the same cycle always reads the same.
  const first = loop.indexOf([...loop].sort(byOwnerThenFile)[0]!);
  const cycle = [...loop.slice(first), ...loop.slice(0, first)];
  const steps = cycle.map((g, i) => {
    const next = cycle[(i + 1) % cycle.length]!;
    const why = next.depends.includes(g.owner) ? `-- depends: ${g.owner}` : 'file name order';
    return `${next.path} must follow ${g.path} (${why})`;
  });
  const owners = [...new Set(cycle.map((g) => g.owner))].sort();
  return mcError('MC_ERR_DB_MIGRATION', `migration dependency cycle among ${owners.map((o) => `'${o}'`).join(', ')}: ${steps.join('; ')}`, { files: cycle.map((g) => g.path).join(', '), owners: owners.join(', ') }, undefined, 'Remove one "-- depends:" line of the cycle: move the shared table into the owner the others depend on, or split the file.');
}
