// A server child for the hostings benchmarks (bench/hostings.ts,
// bench/hostings-search.ts): boots one temp project (test/project.ts) from the
// spec file named by argv[2] and serves it until told to exit. One hosting per
// process, so the load generator (autocannon, in the parent) has its own event
// loop and this process's CPU is that hosting's alone.
//
// Server CPU is the kernel's (process.cpuUsage: every thread, so wasm workers
// too) plus its child processes' (sidecars: utime + stime from /proc/<pid>/stat),
// read between the parent's `start` and `stop`.
//
// IPC, parent → child: start | stop | invoke {path, params, query, minMs} | exit;
// child → parent: ready {port} | failed {reason}, started, stopped {cpuUs},
// invoked {usPerCall}.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { bootProject, type TestProject } from '../test/project.ts';

export interface ProjectSpec {
  /** path in the project → content */
  files: Record<string, string>;
  /** The report item that must be ready, e.g. `sidecar/bench-go`. */
  item: string;
  /** Symlinks in the project (path → absolute target): the example app's folders, say. */
  links?: Record<string, string>;
  /** Every item of the report must be ready (the example app booted whole), not only `item`. */
  whole?: boolean;
  /** Tool folders; the repository's own by default. */
  tools?: string[];
}

/** Clock ticks per second of /proc's utime and stime (100 on nearly every Linux). */
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU µs (user + system, all threads) of each child process of this one, by pid. */
function childrenCpu(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid … utime stime …": comm may hold spaces, so split after its ')'.
      const f = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      if (Number(f[1]) === process.pid) out.set(Number(entry), ((Number(f[11]) + Number(f[12])) * 1e6) / TICKS);
    } catch {
      // The process ended while we looked; it is not one of ours any more.
    }
  }
  return out;
}

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as ProjectSpec;
let project: TestProject;
try {
  project = await bootProject(spec.files, { env: { AI_CONTEXT_PATH: 'off' }, links: spec.links, tools: spec.tools });
  const item = project.item(spec.item);
  if (item?.status !== 'ready') throw new Error(`${spec.item} did not boot: ${item?.reason ?? 'not in the boot report'}`);
  const broken = spec.whole ? project.report.filter((i) => i.status !== 'ready') : [];
  if (broken.length) throw new Error(`not every item booted (run bash scripts/setup.sh): ${broken.map((i) => `${i.name}: ${i.reason}`).join('; ')}`);
} catch (err) {
  process.send!({ type: 'failed', reason: (err as Error).message });
  process.exit(1);
}

type InvokeMsg = { path: string; params: Record<string, string>; query: Record<string, string>; minMs: number };

/** µs per call, calling in batches of 20 until minMs have passed. */
async function invoke(msg: InvokeMsg): Promise<number> {
  const route = project.kernel.routes.get('GET', msg.path);
  if (!route) throw new Error(`no route GET ${msg.path} (have: ${project.kernel.routes.list().map((r) => r.path).join(', ')})`);
  const request = { method: 'GET', route: route.path, url: route.path, params: msg.params, query: msg.query, headers: {}, body: null, requestId: 'bench', streamId: '', auth: null };
  const t0 = performance.now();
  let calls = 0;
  while (performance.now() - t0 < msg.minMs) {
    for (let i = 0; i < 20; i++) await project.kernel.invoke(route.owner, route.handlerId, { case: 'http', value: request });
    calls += 20;
  }
  return ((performance.now() - t0) * 1000) / calls;
}

let cpu: NodeJS.CpuUsage | undefined;
let children = new Map<number, number>();
const exit = async () => {
  await project.stop();
  process.exit(0);
};
process.on('message', (msg: InvokeMsg & { type: string }) => {
  if (msg.type === 'start') {
    children = childrenCpu();
    cpu = process.cpuUsage();
    process.send!({ type: 'started' });
  } else if (msg.type === 'stop') {
    const d = process.cpuUsage(cpu);
    let childUs = 0;
    // A child that started during the window (a restarted sidecar) counts from zero.
    for (const [pid, us] of childrenCpu()) childUs += us - (children.get(pid) ?? 0);
    process.send!({ type: 'stopped', cpuUs: d.user + d.system + childUs });
  } else if (msg.type === 'invoke') {
    invoke(msg).then(
      (usPerCall) => process.send!({ type: 'invoked', usPerCall }),
      (err: unknown) => process.send!({ type: 'invoked', error: (err as Error).message }),
    );
  } else if (msg.type === 'exit') void exit();
});
// A parent that crashed must not leave a server running.
process.on('disconnect', () => void exit());
process.send!({ type: 'ready', port: Number(new URL(project.url).port) });
