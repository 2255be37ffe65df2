// `microcore add <tool>` and `microcore remove <tool>`: tools kept in the
// repository's catalog/ and put into the tree on demand. A catalog entry is
// catalog/<name>/catalog.json (name, summary, inserts) and files/, every file the
// tool adds at its path in the tree: the tool's folders under tools/, its
// contract in proto/microcore/v1, its Go and Rust SDK wrappers, its conformance
// cases and probe methods, its docs. An insert is one line put after a marker
// line in a file shared by every tool (the Rust SDK's module list, the
// conformance probes' lists). After either command the generated code is made
// again (`npm run gen`) and AI_CONTEXT.md rewritten, so removing what was added
// leaves the tree as it was: `git status` clean.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

export const CATALOG = 'catalog';

interface Insert {
  /** The file, from the project root. */
  file: string;
  /** The marker line it goes after (compared trimmed). */
  after: string;
  /** The line, indented as the marker is. */
  line: string;
}

interface Entry {
  name: string;
  summary: string;
  inserts: Insert[];
  /** Paths from the project root of every file the tool adds. */
  files: string[];
}

type Say = (line: string) => void;

/** Every catalog entry, by name; a malformed catalog.json throws naming its file. */
export function readCatalog(root: string): Map<string, Entry> {
  const dir = join(root, CATALOG);
  const entries = new Map<string, Entry>();
  if (!existsSync(dir)) return entries;
  for (const name of readdirSync(dir).sort()) {
    const file = join(dir, name, 'catalog.json');
    if (!existsSync(file)) continue;
    const where = `${CATALOG}/${name}/catalog.json`;
    let raw: { name?: unknown; summary?: unknown; inserts?: unknown };
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`${where} is not JSON: ${(e as Error).message}`);
    }
    if (raw.name !== name) throw new Error(`${where}: "name" must be "${name}", the folder's name`);
    const inserts = (raw.inserts ?? []) as Insert[];
    if (!Array.isArray(inserts) || inserts.some((i) => typeof i?.file !== 'string' || typeof i.after !== 'string' || typeof i.line !== 'string')) {
      throw new Error(`${where}: "inserts" must be a list of { "file", "after", "line" } strings`);
    }
    const filesDir = join(dir, name, 'files');
    const files = existsSync(filesDir) ? walk(filesDir).map((f) => relative(filesDir, f).split(sep).join('/')) : [];
    entries.set(name, { name, summary: String(raw.summary ?? ''), inserts, files });
  }
  return entries;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)]));
}

function catalogList(catalog: Map<string, Entry>, root: string): string {
  if (catalog.size === 0) return `  (none: ${CATALOG}/ is empty)`;
  return [...catalog.values()].map((e) => `  ${e.name.padEnd(12)} ${e.summary}${isAdded(root, e) ? '  [added]' : ''}`).join('\n');
}

function isAdded(root: string, e: Entry): boolean {
  return e.files.every((f) => sameFile(root, e, f)) && e.inserts.every((i) => lineIndex(root, i) >= 0);
}

function sameFile(root: string, e: Entry, file: string): boolean {
  const target = join(root, file);
  return existsSync(target) && readFileSync(target).equals(readFileSync(join(root, CATALOG, e.name, 'files', file)));
}

/** The index of an inserted line in its file (after its marker), or -1; throws when the marker is gone. */
function lineIndex(root: string, i: Insert): number {
  const lines = readLines(root, i.file);
  const marker = lines.findIndex((l) => l.trim() === i.after.trim());
  if (marker < 0) throw new Error(`${i.file} has no line "${i.after.trim()}" to insert after: restore it (git checkout ${i.file}) and try again`);
  for (let n = marker + 1; n < lines.length && lines[n]!.trim() !== ''; n++) if (lines[n]!.trim() === i.line.trim()) return n;
  return -1;
}

function readLines(root: string, file: string): string[] {
  const path = join(root, file);
  if (!existsSync(path)) throw new Error(`${file} is missing: it holds a marker catalog tools insert a line after; restore it (git checkout ${file})`);
  return readFileSync(path, 'utf8').split('\n');
}

/** Chooses the entries named, or says what the catalog has. */
function chosen(root: string, command: string, names: string[], err: Say): Entry[] | undefined {
  const catalog = readCatalog(root);
  const unknown = names.filter((n) => !catalog.has(n));
  if (names.length === 0 || unknown.length > 0) {
    const what = names.length === 0 ? `name a tool` : `${unknown.map((n) => `'${n}'`).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not in the catalog (${CATALOG}/)`;
    err(`microcore ${command}: ${what}. The catalog:\n${catalogList(catalog, root)}\n\nusage: microcore ${command} <tool> [<tool> …]`);
    return undefined;
  }
  return names.map((n) => catalog.get(n)!);
}

export function addTools(root: string, names: string[], out: Say, err: Say): number {
  try {
    const entries = chosen(root, 'add', names, err);
    if (!entries) return 2;
    const todo = entries.filter((e) => {
      if (!isAdded(root, e)) return true;
      out(`${e.name} is already added: nothing to do`);
      return false;
    });
    // Refuse before changing anything: a file of the tree that is not the catalog's copy is someone's work.
    const clashes = todo.flatMap((e) => e.files.filter((f) => existsSync(join(root, f)) && !sameFile(root, e, f)).map((f) => `${f} (catalog/${e.name}/files/${f})`));
    if (clashes.length) {
      err(`microcore add: these files exist and differ from the catalog's copy; move them away (or \`microcore remove\` the tool) and add again:\n  ${clashes.join('\n  ')}`);
      return 1;
    }
    for (const e of todo) {
      for (const f of e.files) {
        mkdirSync(dirname(join(root, f)), { recursive: true });
        copyFileSync(join(root, CATALOG, e.name, 'files', f), join(root, f));
      }
      for (const i of e.inserts) if (lineIndex(root, i) < 0) insertLine(root, i);
      out(`added ${e.name}: ${e.files.length} files${e.inserts.length ? `, ${e.inserts.length} lines in ${[...new Set(e.inserts.map((i) => i.file))].join(', ')}` : ''}`);
    }
    return todo.length ? regenerate(root, out, err) : 0;
  } catch (e) {
    err(`microcore add: ${(e as Error).message}`);
    return 1;
  }
}

export function removeTools(root: string, names: string[], out: Say, err: Say): number {
  try {
    const entries = chosen(root, 'remove', names, err);
    if (!entries) return 2;
    // A file changed since it was added is someone's work: nothing is removed until it is dealt with.
    const changed = entries.flatMap((e) => e.files.filter((f) => existsSync(join(root, f)) && !sameFile(root, e, f)));
    if (changed.length) {
      err(`microcore remove: these files differ from the catalog's copy, so removing them would lose changes; copy what you want to keep, then delete or \`git checkout\` them and remove again:\n  ${changed.join('\n  ')}`);
      return 1;
    }
    let removed = 0;
    for (const e of entries) {
      const present = e.files.filter((f) => existsSync(join(root, f)));
      const lines = e.inserts.filter((i) => lineIndex(root, i) >= 0);
      if (present.length === 0 && lines.length === 0) {
        out(`${e.name} is not added: nothing to remove`);
        continue;
      }
      for (const f of present) {
        rmSync(join(root, f));
        pruneEmptyDirs(root, dirname(join(root, f)));
      }
      for (const i of lines) removeLine(root, i);
      out(`removed ${e.name}: ${present.length} files${lines.length ? `, ${lines.length} lines` : ''}`);
      removed++;
    }
    return removed ? regenerate(root, out, err) : 0;
  } catch (e) {
    err(`microcore remove: ${(e as Error).message}`);
    return 1;
  }
}

function insertLine(root: string, i: Insert): void {
  const lines = readLines(root, i.file);
  const marker = lines.findIndex((l) => l.trim() === i.after.trim());
  const indent = /^\s*/.exec(lines[marker]!)![0];
  lines.splice(marker + 1, 0, indent + i.line.trim());
  writeFileSync(join(root, i.file), lines.join('\n'));
}

function removeLine(root: string, i: Insert): void {
  const lines = readLines(root, i.file);
  lines.splice(lineIndex(root, i), 1);
  writeFileSync(join(root, i.file), lines.join('\n'));
}

/** Folders the tool's files left empty go too (git keeps no empty folder), never the root. */
function pruneEmptyDirs(root: string, dir: string): void {
  while (dir.startsWith(root + sep) && statSync(dir, { throwIfNoEntry: false })?.isDirectory() && readdirSync(dir).length === 0) {
    rmdirSync(dir);
    dir = dirname(dir);
  }
}

/** The generated code and AI_CONTEXT.md, made again from the tree as it is now. */
function regenerate(root: string, out: Say, err: Say): number {
  const steps: [string, string, string[]][] = [
    ['generated code (npm run gen)', 'npm', ['run', '--silent', 'gen']],
    ['AI_CONTEXT.md (microcore context)', process.execPath, ['--disable-warning=ExperimentalWarning', join(import.meta.dirname, 'main.ts'), 'context']],
  ];
  for (const [what, command, args] of steps) {
    const run = spawnSync(command, args, { cwd: root, encoding: 'utf8' });
    if (run.status !== 0) {
      err(`microcore: making the ${what} again failed (exit ${run.status ?? run.signal}): ${(run.stderr || run.stdout || run.error?.message || '').trim()}\nFix what it says and run \`npm run gen\` and \`microcore context\` by hand.`);
      return 1;
    }
    out(`made the ${what} again`);
  }
  return 0;
}
