// `microcore dev`: runs `microcore start` in a child process and restarts it
// when a file of the project changes (a whole-process restart, as MicroCoreOS
// does: simple, and every restart is a clean boot). Sidecar and wasm sources
// are rebuilt by `microcore build` first when they changed.
import { spawn, type ChildProcess } from 'node:child_process';
import { watch } from 'node:fs';
import { join } from 'node:path';

const WATCHED = ['domains', 'tools', 'kernel', 'sidecars', 'wasm-plugins', 'proto'];
const IGNORED = /(^|\/)(node_modules|target|bin|data|\.git)(\/|$)|\.wasm$|AI_CONTEXT\.md$|\.db(-wal|-shm)?$/;
const SETTLE_MS = 200;

export function dev(root: string, print: (line: string) => void): Promise<number> {
  const cli = join(import.meta.dirname, 'main.ts');
  let child: ChildProcess | undefined;
  let timer: NodeJS.Timeout | undefined;
  let changed = new Set<string>();

  const run = (args: string[]) => spawn(process.execPath, ['--disable-warning=ExperimentalWarning', cli, ...args], { cwd: root, stdio: 'inherit' });
  const startChild = () => {
    const needsBuild = [...changed].some((f) => /^(sidecars|wasm-plugins)\//.test(f));
    changed = new Set();
    const begin = () => (child = run(['start']));
    if (!needsBuild) return begin();
    run(['build']).once('exit', begin);
  };
  const restart = () => {
    print(`microcore dev: ${[...changed].slice(0, 3).join(', ')}${changed.size > 3 ? ' …' : ''} changed; restarting`);
    const old = child;
    child = undefined;
    if (!old || old.exitCode !== null) return startChild();
    old.once('exit', startChild);
    old.kill('SIGTERM');
  };

  for (const dir of WATCHED) {
    try {
      watch(join(root, dir), { recursive: true }, (_event, file) => {
        const path = `${dir}/${file ?? ''}`;
        if (!file || IGNORED.test(path)) return;
        changed.add(path);
        clearTimeout(timer);
        timer = setTimeout(restart, SETTLE_MS);
      });
    } catch {
      // A project without this folder: nothing to watch there.
    }
  }
  print('microcore dev: watching for changes (Ctrl-C stops)');
  startChild();
  return new Promise((resolve) => {
    const stop = () => {
      clearTimeout(timer);
      if (!child || child.exitCode !== null) return resolve(0);
      child.once('exit', () => resolve(0));
      child.kill('SIGTERM');
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
