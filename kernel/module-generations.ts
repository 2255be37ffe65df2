// Fresh copies of changed modules, for hot reload. Node cannot evict an ES
// module, so a changed file is imported again under a new URL (`?mcv=<n>`),
// and so is every project file that imports it, directly or not: their URLs
// change with it, so their imports resolve to the new copy. Every other module
// keeps its one copy, shared by every plugin as under `microcore start` (a
// helper's module-level Map is one Map). A resolve hook records who imports
// what and gives each project file the URL of its current version. Files
// outside the project, in node_modules, and the kernel, tools and generated
// contract always keep one copy: one McError class, one contract (a change
// there restarts the kernel). Old copies stay in Node's module cache: what that
// leaks per swap is measured by `npm run bench -- hot-reload`.
import { registerHooks } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const QUERY = 'mcv';
const SHARED = ['kernel/', 'tools/', 'proto/', 'node_modules/'];
let root: string | undefined;
/** Each project file's version, bumped when it or a file it imports changed; absent is 0 (its plain URL). */
const versions = new Map<string, number>();
/** Who imports each project file (absolute paths), as resolved so far. */
const importers = new Map<string, Set<string>>();

/** Turns versions on for this process (once; `microcore dev` does). */
export function enableModuleGenerations(projectRoot: string): void {
  if (root) return;
  root = projectRoot.endsWith('/') ? projectRoot : `${projectRoot}/`;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      if (!resolved.url.startsWith('file:')) return resolved;
      const path = fileURLToPath(resolved.url);
      if (!isProjectFile(path)) return resolved;
      const parent = context.parentURL?.startsWith('file:') ? fileURLToPath(context.parentURL) : undefined;
      if (parent && isProjectFile(parent)) {
        let set = importers.get(path);
        if (!set) importers.set(path, (set = new Set()));
        set.add(parent);
      }
      return { ...resolved, url: urlOf(path) };
    },
  });
}

export function moduleGenerationsEnabled(): boolean {
  return root !== undefined;
}

/**
 * The files changed (absolute paths): each, and every project file importing
 * one of them, directly or not, gets a new version. Returns them all: a plugin
 * whose file is among them must be imported again to see the change.
 */
export function bumpVersions(changed: Iterable<string>): Set<string> {
  const bumped = new Set<string>();
  const queue = [...changed];
  while (queue.length) {
    const path = queue.pop()!;
    if (bumped.has(path)) continue;
    bumped.add(path);
    versions.set(path, (versions.get(path) ?? 0) + 1);
    queue.push(...(importers.get(path) ?? []));
  }
  return bumped;
}

/** Imports `file` (an absolute path) at its current version. */
export async function importCurrent(file: string): Promise<Record<string, unknown>> {
  return (await import(urlOf(file))) as Record<string, unknown>;
}

function isProjectFile(path: string): boolean {
  return path.startsWith(root!) && !path.includes('/node_modules/') && !SHARED.some((dir) => path.startsWith(root! + dir));
}

function urlOf(path: string): string {
  const version = versions.get(path) ?? 0;
  const url = pathToFileURL(path).href;
  return version ? `${url}?${QUERY}=${version}` : url;
}
