// Watches folders of the project for `microcore dev`. Each directory gets its own
// (non-recursive) fs.watch rather than one recursive watch: on Linux, Node's
// recursive watch follows each file by its inode, so a file saved by
// replacement (`sed -i`, editors that write a temp file and rename it over the
// original) is lost after its first save and later edits go unseen. A directory
// watch reports every name that changes inside it, however the file was written.
// Directories created later are watched as they appear.
import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

/**
 * Calls `onChange` with the project-relative path of each changed file under the
 * given top folders (a folder that does not exist is skipped). `ignored` is tested
 * against project-relative paths, of directories too. Returns a function that stops.
 */
export function watchTree(root: string, tops: readonly string[], ignored: RegExp, onChange: (path: string) => void): () => void {
  const watchers = new Map<string, FSWatcher>();

  const add = (rel: string): void => {
    if (watchers.has(rel) || ignored.test(rel)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(join(root, rel), (_event, name) => {
        if (!name) return;
        const path = `${rel}/${name}`;
        if (ignored.test(path)) return;
        if (isDirectory(join(root, path))) add(path);
        else drop(path);
        onChange(path);
      });
    } catch {
      return; // Gone already, or not a directory: nothing to watch.
    }
    // A watcher that fails (its directory went away under it) is dropped; a new
    // directory of that name is watched when its parent reports it.
    watcher.on('error', () => {
      watcher.close();
      watchers.delete(rel);
    });
    watchers.set(rel, watcher);
    let entries: string[] = [];
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      // Removed while we looked: its parent's event drops it.
    }
    for (const name of entries) add(`${rel}/${name}`);
  };

  /** Forgets a directory that is gone, and all below it, so that a new one of that name is watched. */
  const drop = (rel: string): void => {
    for (const [path, w] of watchers) {
      if (path !== rel && !path.startsWith(`${rel}/`)) continue;
      w.close();
      watchers.delete(path);
    }
  };

  for (const top of tops) if (isDirectory(join(root, top))) add(top);
  return () => {
    for (const w of watchers.values()) w.close();
    watchers.clear();
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
