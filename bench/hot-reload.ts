// Hot reload (issue 13): what swapping one native plugin costs against the
// whole-process restart it replaces, and what the old versions leak. Node
// cannot evict an ES module, so each swap leaves the old copies of the plugin
// file and of the domain files it imports in the module cache
// (kernel/module-generations.ts): the bound is measured as RSS over 100 swaps.
// Each round is a fresh child process (hot-reload.child.ts).
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fmt, summarize, type Bench, type BenchResult } from './stats.ts';

const ROUNDS = 3;
const RELOADS = 100;
// What 100 swaps may add to the process: a day of editing is a few hundred saves,
// and a dev kernel may grow by a few hundred MB before a restart is wanted.
const GROWTH_LIMIT_MB = 50;

interface Round {
  bootMs: number;
  swapMs: number[];
  rssBefore: number;
  rssAfter: number;
}

function round(mode: 'same' | 'route'): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = fork(join(import.meta.dirname, 'hot-reload.child.ts'), [String(RELOADS), mode], { execArgv: ['--expose-gc', '--disable-warning=ExperimentalWarning'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: Round | undefined;
    child.on('message', (m) => (result = m as Round));
    child.on('exit', (code) => (result && code === 0 ? resolve(result) : reject(new Error(`hot-reload child exited with ${code}`))));
  });
}

async function run(): Promise<BenchResult> {
  const rounds: Round[] = [];
  const routed: Round[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    rounds.push(await round('same'));
    routed.push(await round('route'));
  }
  const routedGrowth = summarize(routed.map((r) => ((r.rssAfter - r.rssBefore) * 1024) / RELOADS));
  const swap = summarize(rounds.map((r) => summarize(r.swapMs).median));
  const boot = summarize(rounds.map((r) => r.bootMs));
  const growth = summarize(rounds.map((r) => r.rssAfter - r.rssBefore));
  const perSwapKb = summarize(rounds.map((r) => ((r.rssAfter - r.rssBefore) * 1024) / RELOADS));
  return {
    rows: [
      { metric: 'swap users/get-user (median of 100)', side: 'kernel.reload', unit: 'ms', sample: swap },
      { metric: 'boot of the same kernel', side: 'what a restart costs at least', unit: 'ms', sample: boot },
      { metric: 'RSS before the 100 swaps', side: 'after a full GC', unit: 'MB', sample: summarize(rounds.map((r) => r.rssBefore)) },
      { metric: 'RSS after the 100 swaps', side: 'after a full GC', unit: 'MB', sample: summarize(rounds.map((r) => r.rssAfter)) },
      { metric: 'RSS growth per swap', side: '', unit: 'KB', sample: perSwapKb },
      { metric: 'swap that changes its route', side: 'kernel.reload + router rebuilt', unit: 'ms', sample: summarize(routed.map((r) => summarize(r.swapMs).median)) },
      { metric: 'RSS growth per such swap', side: '', unit: 'KB', sample: routedGrowth },
    ],
    ratios: [{ what: 'boot ÷ swap (how much faster a swap is than the boot a restart needs)', sample: summarize(rounds.map((r) => r.bootMs / summarize(r.swapMs).median)) }],
    notes: [
      `Each round is a new process booting the example app's TS domains (no sidecars or wasm: a restart would also respawn those), then swapping users/get-user ${RELOADS} times; RSS is read after two full GCs.`,
      'A restart also drops every open connection and event stream, and every other plugin restarts with it; the boot time is its floor.',
      "A swap that keeps the plugin's routes leaves the router as it is (requests read handler ids from the route table); one that adds, removes or changes a route or its schemas makes the http tool build a new fastify instance from every route the kernel has (tools/http/live-server.ts).",
    ],
    verdicts: [
      { bench: 'hot-reload', what: `RSS growth over ${RELOADS} swaps`, value: `${fmt(growth.median)} MB`, target: `≤ ${GROWTH_LIMIT_MB} MB`, meets: growth.median <= GROWTH_LIMIT_MB },
      { bench: 'hot-reload', what: 'swap vs boot', value: `${fmt(boot.median / swap.median)}×`, target: '≥ 2×', meets: boot.median / swap.median >= 2 },
    ],
  };
}

export const bench: Bench = { name: 'hot-reload', title: `swapping one native plugin ${RELOADS} times in a running kernel: time and RSS`, run };
