// The example app's footprint (issue 9): started as scripts/start.sh starts it
// (`node cli/main.ts start` in the repository, every domain, sidecar and wasm
// module already built), how long from spawn to the first 200 from GET /health,
// and its idle memory, the kernel and every child process together, from /proc.
// Bare fastify (bare-fastify.server.ts) is started the same way in the same run
// as the boot-time baseline.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, REPO } from '../test/project.ts';
import { alternate, fmt, pairedRatio, summarize, type Bench, type BenchResult } from './stats.ts';

const ROUNDS = 5;
/** After the boot report, how long the app sits idle before its memory is read. */
const IDLE_MS = 2000;
const BOOT_LIMIT_MS = 60_000;
const MB = 1024 * 1024;

interface Start {
  /** Spawn to the first 200 from GET /health. */
  bootMs: number;
  /** Spawn to the boot report on stdout (every item booted); undefined for fastify. */
  reportMs?: number;
  /** The report's first line, e.g. "boot report (21/21 ready)". */
  report?: string;
  /** Sum of VmRSS over the process and its descendants, and the same for Pss (shared pages split). */
  rssMb: number;
  pssMb: number;
}

/** The pid and every descendant, from /proc's parent links. */
function tree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      parent.set(Number(entry), Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]));
    } catch {
      // Gone while we looked.
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, ppid] of parent) if (ppid === out[i]) out.push(pid);
  return out;
}

/** kB of a field ("VmRSS", "Pss") in a /proc file, summed over pids; a pid that ended counts 0. */
function sumKb(pids: number[], file: string, field: string): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'))?.[1] ?? 0);
    } catch {
      // Gone while we looked.
    }
  }
  return kb;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Spawns `args` with node, polls GET /health until 200, waits until idle, reads memory, stops it. */
async function startOnce(args: string[], env: Record<string, string>, kernel: boolean): Promise<Start> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', ...args], { cwd: REPO, env: { ...process.env, ...env, HTTP_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let reportMs: number | undefined;
  let report: string | undefined;
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const line = /boot report \(\d+\/\d+ ready\)/.exec(out);
    if (line && reportMs === undefined) [reportMs, report] = [performance.now() - t0, line[0]];
  });
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  try {
    let bootMs: number | undefined;
    while (bootMs === undefined) {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited (code ${child.exitCode}) before answering: ${out.slice(-1000)}`);
      if (performance.now() - t0 > BOOT_LIMIT_MS) throw new Error(`${args.join(' ')} gave no 200 on /health in ${BOOT_LIMIT_MS} ms: ${out.slice(-1000)}`);
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status === 200, () => false);
      if (ok) bootMs = performance.now() - t0;
      else await new Promise((resolve) => setTimeout(resolve, 2));
    }
    while (kernel && reportMs === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const pids = tree(child.pid!);
    return { bootMs, reportMs, report, rssMb: (sumKb(pids, 'status', 'VmRSS') * 1024) / MB, pssMb: (sumKb(pids, 'smaps_rollup', 'Pss') * 1024) / MB };
  } finally {
    await stop(child);
  }
}

async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-footprint-'));
  // The repository's app, but its database and AI_CONTEXT.md go to a temp folder, not the worktree.
  const env = { HTTP_HOST: '127.0.0.1', DATABASE_PATH: join(dir, 'app.db'), AI_CONTEXT_PATH: join(dir, 'AI_CONTEXT.md') };
  try {
    const sides = await alternate(
      {
        microcore: () => startOnce(['cli/main.ts', 'start'], env, true),
        fastify: () => startOnce([join(REPO, 'bench/bare-fastify.server.ts')], {}, false),
      },
      ROUNDS,
    );
    const mc = sides.microcore, base = sides.fastify;
    const pick = (s: Start[], f: (x: Start) => number) => summarize(s.map(f));
    const boot = pick(mc, (s) => s.bootMs), rss = pick(mc, (s) => s.rssMb);
    const reports = [...new Set(mc.map((s) => s.report))].join(', ');
    return {
      rows: [
        { metric: 'spawn → first 200 from GET /health', side: 'MicroCore (example app)', unit: 'ms', sample: boot },
        { metric: '', side: 'bare fastify 5', unit: 'ms', sample: pick(base, (s) => s.bootMs) },
        { metric: 'spawn → boot report printed', side: 'MicroCore (example app)', unit: 'ms', sample: pick(mc, (s) => s.reportMs!) },
        { metric: `idle RSS, process tree summed, ${IDLE_MS / 1000} s after boot`, side: 'MicroCore (example app)', unit: 'MB', sample: rss },
        { metric: '', side: 'bare fastify 5', unit: 'MB', sample: pick(base, (s) => s.rssMb) },
        { metric: 'idle PSS (shared pages split)', side: 'MicroCore (example app)', unit: 'MB', sample: pick(mc, (s) => s.pssMb) },
        { metric: '', side: 'bare fastify 5', unit: 'MB', sample: pick(base, (s) => s.pssMb) },
      ],
      ratios: [{ what: 'boot: fastify ÷ MicroCore', sample: pairedRatio(mc.map((s) => s.bootMs), base.map((s) => s.bootMs), 'lower') }],
      notes: [
        `The example app as scripts/start.sh runs it (node cli/main.ts start in the repository, built plugins as they are), with its database and AI_CONTEXT.md in a temp folder; its boot report said: ${reports}.`,
        'GET /health is polled every few ms from spawn (fastify: its /health route); the boot report row is when the kernel printed that every item had booted. The warm-up round created the database (migrations, seeds); the timed rounds restart on it, as a restarted app does.',
        'RSS is VmRSS of the kernel plus every descendant (sidecars), from /proc; it counts pages the processes share once per process, which PSS splits between them.',
      ],
      verdicts: [
        { bench: 'hostings-footprint', what: 'boot to first answer (example app)', value: `${fmt(boot.median)} ms (fastify ${fmt(pick(base, (s) => s.bootMs).median)} ms)`, target: '≤ 500 ms', meets: boot.median <= 500 },
        { bench: 'hostings-footprint', what: 'idle RSS, kernel + child processes', value: `${fmt(rss.median)} MB`, target: '≤ 150 MB', meets: rss.median <= 150 },
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const bench: Bench = { name: 'hostings-footprint', title: "the example app's boot to first answer and idle memory, against bare fastify", run };
