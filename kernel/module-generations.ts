// Fresh copies of a native plugin's modules, for hot reload. Node cannot evict
// an ES module, so a new version is imported under a new URL: the plugin file
// with `?mcgen=<n>`, and — through a resolve hook — every project file it
// imports, directly or not, with the same tag, so a changed helper is read
// again too. The hook also records which files each generation's graph holds:
// a change to one reloads every plugin whose graph includes it. Files outside
// the project, in node_modules, and the kernel, tools and generated contract
// keep their single copy: one McError class, one contract for every plugin
// (a change there restarts the kernel). Old generations stay
// in Node's module cache: what that leaks per reload is measured by
// `npm run bench -- hot-reload`.
import { registerHooks } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TAG = 'mcgen';
const SHARED = ['kernel/', 'tools/', 'proto/', 'node_modules/'];
let root: string | undefined;
let next = 0;
/** The project files (absolute paths) each generation's module graph holds. */
const graphs = new Map<string, Set<string>>();

/** Turns generations on for this process (once; `microcore dev` does). */
export function enableModuleGenerations(projectRoot: string): void {
  if (root) return;
  root = projectRoot.endsWith('/') ? projectRoot : `${projectRoot}/`;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      const tag = context.parentURL ? tagOf(context.parentURL) : undefined;
      if (!tag || !resolved.url.startsWith('file:')) return resolved;
      const path = fileURLToPath(resolved.url);
      if (!path.startsWith(root!) || path.includes('/node_modules/') || SHARED.some((dir) => path.startsWith(root! + dir))) return resolved;
      graphs.get(tag)?.add(path);
      return { ...resolved, url: `${pathToFileURL(path).href}?${TAG}=${tag}` };
    },
  });
}

export function moduleGenerationsEnabled(): boolean {
  return root !== undefined;
}

/** Imports a new copy of `file` (an absolute path) and of the project files it imports; returns the module and the files its graph holds. */
export async function importGeneration(file: string): Promise<{ module: Record<string, unknown>; files: ReadonlySet<string> }> {
  const tag = String(++next);
  const files = new Set([file]);
  graphs.set(tag, files);
  try {
    return { module: (await import(`${pathToFileURL(file).href}?${TAG}=${tag}`)) as Record<string, unknown>, files };
  } finally {
    // The hook only adds while the graph loads; the set is the caller's from here.
    graphs.delete(tag);
  }
}

function tagOf(url: string): string | undefined {
  const at = url.indexOf(`?${TAG}=`);
  return at < 0 ? undefined : url.slice(at + TAG.length + 2);
}
