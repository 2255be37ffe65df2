// `microcore dev`: runs `microcore start --hot` in a child process and, when a
// file of the project changes, swaps only what the change touches:
//   - a native plugin (or a file its modules import), a wasm module or a
//     sidecar (its manifest, sources or binary): that plugin alone is rebuilt if
//     needed and hot-swapped in the running kernel (kernel/hot-swap.ts); every
//     other plugin, and the kernel, keep serving. A version that fails to build
//     or boot leaves the old one serving and says why, here and in /system/status.
//   - a tool, the kernel, the contract (proto/), a migration or .env: the
//     whole process restarts (a clean boot), since every plugin depends on them.
// Changes take turns: one during a build or swap waits for it, so two kernels
// never run at once. The dashboard is on unless DASHBOARD says otherwise.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { readEnv } from '../kernel/env.ts';
import type { SwapOutcome } from '../kernel/hot-swap.ts';
import { watchTree } from './watch-tree.ts';

const WATCHED = ['domains', 'tools', 'kernel', 'sidecars', 'wasm-plugins', 'proto'];
// Compilers' work folders, data, tests, and editors' temporary files (a save by
// replacement writes one and renames it over the file: the file's own change is
// what counts). A sidecar's binary and a wasm module are watched: one built by
// hand is a change too.
const IGNORED = /(^|\/)(node_modules|target|data|\.git)(\/|$)|\.test\.ts$|AI_CONTEXT\.md$|\.db(-wal|-shm)?$|\.(tmp|sw[pox])$|~$/;
/** Changes every plugin depends on: only a new process takes them. */
const NEEDS_RESTART = /^(tools|kernel|proto)\/|(^|\/)migrations\//;
/** What `microcore build` writes: swapped in as they are, never a reason to build. */
const BUILD_OUTPUT = /^(sidecars|wasm-plugins)\/[^/]+\/(bin\/|[^/]+\.wasm$)/;
const NEEDS_BUILD = /^(sidecars|wasm-plugins)\/[^/]+\//;
const SETTLE_MS = 200;

export function dev(root: string, print: (line: string) => void): Promise<number> {
  const cli = join(import.meta.dirname, 'main.ts');
  // On by default here, not under `start`: a setting in .env or the environment wins.
  const settings = readEnv(root);
  const env = { ...process.env, ...(settings.DASHBOARD === undefined ? { DASHBOARD: 'on' } : {}) };
  // The NATS bus holds a subscription's consumer on the server: a swap there is
  // not one step (NOTES.md), so every change restarts.
  const swaps = settings.BUS_DRIVER !== 'nats';
  if (!swaps) print('microcore dev: BUS_DRIVER=nats: every change restarts the kernel (hot swaps need the in-process bus)');
  let child: ChildProcess | undefined;
  let timer: NodeJS.Timeout | undefined;
  let changed = new Set<string>();
  let turn: Promise<void> = Promise.resolve();
  let stopping = false;

  const run = (args: string[], ipc = false) => spawn(process.execPath, ['--disable-warning=ExperimentalWarning', cli, ...args], { cwd: root, env, stdio: ipc ? ['inherit', 'inherit', 'inherit', 'ipc'] : 'inherit' });
  const exited = (p: ChildProcess) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve())));
  const build = async () => {
    const b = run(['build']);
    await exited(b);
    return b.exitCode === 0;
  };
  const stopChild = async () => {
    if (!child) return;
    const old = child;
    child = undefined;
    old.kill('SIGTERM');
    await exited(old);
  };

  /** Swaps what the files touch in the running kernel; false when it cannot (no kernel, or it ended). */
  const swap = (files: string[]) =>
    new Promise<boolean>((resolve) => {
      const kernel = child;
      if (!kernel?.connected) return resolve(false);
      const answered = (m: { type?: string; outcomes?: SwapOutcome[] }) => {
        if (m?.type !== 'swapped') return;
        kernel.off('message', answered);
        kernel.off('exit', ended);
        for (const o of m.outcomes ?? []) print(`microcore dev: ${o.identity} ${o.ok ? `${o.change} in ${o.ms} ms` : `not ${o.change}: ${o.reason}`}`);
        if (!m.outcomes?.length) print('microcore dev: no plugin uses the changed files');
        resolve(true);
      };
      const ended = () => resolve(false);
      kernel.on('message', answered);
      kernel.once('exit', ended);
      kernel.send({ type: 'changed', files });
    });

  const react = async () => {
    const files = [...changed];
    changed = new Set();
    // A turn whose changes an earlier build already took (its outputs) has nothing left to do.
    if (stopping || (files.length === 0 && child)) return;
    const restart = !child || !swaps || files.some((f) => NEEDS_RESTART.test(f));
    const needsBuild = files.some((f) => NEEDS_BUILD.test(f) && !BUILD_OUTPUT.test(f));
    const built = needsBuild ? await build() : true;
    if (!built) print('microcore dev: a build failed: the previous build of that plugin keeps serving (its status says why)');
    if (needsBuild) {
      // What the build wrote is swapped in now, with its sources: not once more when its change arrives.
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      for (const f of [...changed]) if (BUILD_OUTPUT.test(f)) changed.delete(f);
      clearTimeout(timer);
      if (changed.size) timer = setTimeout(enqueue, SETTLE_MS);
    }
    if (!restart && (await swap(files))) return;
    if (child) print(`microcore dev: ${files.slice(0, 3).join(', ')}${files.length > 3 ? ' …' : ''} changed; restarting`);
    await stopChild();
    if (!stopping) child = run(['start', '--hot'], true);
  };
  const enqueue = () => (turn = turn.then(react));

  const unwatch = watchTree(root, WATCHED, IGNORED, (path) => {
    changed.add(path);
    clearTimeout(timer);
    timer = setTimeout(enqueue, SETTLE_MS);
  });
  print('microcore dev: watching for changes (Ctrl-C stops)');
  child = run(['start', '--hot'], true);
  return new Promise((resolve) => {
    const stop = () => {
      stopping = true;
      unwatch();
      clearTimeout(timer);
      void turn.then(async () => {
        await stopChild();
        resolve(0);
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
