// `microcore dev`: runs `microcore start` in a child process and restarts it
// when a file of the project changes (a whole-process restart, as MicroCoreOS
// does: simple, and every restart is a clean boot). Sidecar and wasm sources are
// rebuilt by `microcore build` first when they changed. Restarts take turns: a
// change during a build waits for it, so two servers never run at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { watchTree } from './watch-tree.ts';

const WATCHED = ['domains', 'tools', 'kernel', 'sidecars', 'wasm-plugins', 'proto'];
// Build outputs, data, and editors' temporary files (a save by replacement writes
// one and renames it over the file: the file's own change is what counts).
const IGNORED = /(^|\/)(node_modules|target|bin|data|\.git)(\/|$)|\.wasm$|AI_CONTEXT\.md$|\.db(-wal|-shm)?$|\.(tmp|sw[pox])$|~$/;
const SETTLE_MS = 200;

export function dev(root: string, print: (line: string) => void): Promise<number> {
  const cli = join(import.meta.dirname, 'main.ts');
  let child: ChildProcess | undefined;
  let timer: NodeJS.Timeout | undefined;
  let changed = new Set<string>();
  let turn: Promise<void> = Promise.resolve();
  let stopping = false;

  const run = (args: string[]) => spawn(process.execPath, ['--disable-warning=ExperimentalWarning', cli, ...args], { cwd: root, stdio: 'inherit' });
  const exited = (p: ChildProcess) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve())));

  /** Stops the server (if any), builds what changed, starts a new server. */
  const restart = async () => {
    const files = [...changed];
    changed = new Set();
    if (child) {
      print(`microcore dev: ${files.slice(0, 3).join(', ')}${files.length > 3 ? ' …' : ''} changed; restarting`);
      const old = child;
      child = undefined;
      old.kill('SIGTERM');
      await exited(old);
    }
    if (stopping) return;
    if (files.some((f) => /^(sidecars|wasm-plugins)\//.test(f))) {
      const build = run(['build']);
      await exited(build);
      if (build.exitCode !== 0) print('microcore dev: a build failed; starting anyway: the previous build of that plugin keeps serving, and the boot report marks it failed');
    }
    if (!stopping) child = run(['start']);
  };
  const enqueue = () => (turn = turn.then(restart));

  const unwatch = watchTree(root, WATCHED, IGNORED, (path) => {
    changed.add(path);
    clearTimeout(timer);
    timer = setTimeout(enqueue, SETTLE_MS);
  });
  print('microcore dev: watching for changes (Ctrl-C stops)');
  enqueue();
  return new Promise((resolve) => {
    const stop = () => {
      stopping = true;
      unwatch();
      clearTimeout(timer);
      void turn.then(async () => {
        if (child) {
          child.kill('SIGTERM');
          await exited(child);
        }
        resolve(0);
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
