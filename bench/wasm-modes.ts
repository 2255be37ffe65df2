// A wasm module's tool calls, in its two modes: a worker (each host round trip
// crosses threads, and calls can time out) and the kernel's own thread (JSPI
// suspends the guest while the tool runs; nothing can stop a runaway call). The
// same module (parity-rust) answers GET /parity/rust/count — one db.queryOne —
// through the kernel's invoke path, no HTTP in between.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootProject, PARITY_FIXTURES, type TestProject } from '../test/project.ts';
import { alternate, fmt, pairedRatio, summarize, type Bench, type BenchResult } from './stats.ts';

const ROUNDS = 7;
const CALLS = 300;

async function boot(mode: 'worker' | 'main'): Promise<TestProject> {
  const manifest = JSON.parse(readFileSync(join(PARITY_FIXTURES, 'wasm-plugins/parity-rust/plugin.json'), 'utf8'));
  delete manifest.build;
  manifest.module = join(PARITY_FIXTURES, 'wasm-plugins/parity-rust/parity_rust.wasm');
  manifest.mode = mode;
  const project = await bootProject(
    {
      'domains/parity/migrations/001.sql': readFileSync(join(PARITY_FIXTURES, 'domains/parity/migrations/001_parity_items.sql'), 'utf8'),
      'wasm-plugins/parity-rust/plugin.json': JSON.stringify(manifest),
    },
    { env: { AI_CONTEXT_PATH: 'off' } },
  );
  if (project.item('wasm/parity-rust')?.status !== 'ready') throw new Error(`parity-rust (${mode}) did not boot: ${project.item('wasm/parity-rust')?.reason}`);
  return project;
}

async function run(): Promise<BenchResult> {
  const worker = await boot('worker');
  const main = await boot('main');
  try {
    const perCall = async (p: TestProject): Promise<number> => {
      const route = p.kernel.routes.get('GET', '/parity/rust/count')!;
      const request = { method: 'GET', route: route.path, url: route.path, params: {}, query: {}, headers: {}, body: null, requestId: 'bench', streamId: '', auth: null };
      const t0 = performance.now();
      for (let i = 0; i < CALLS; i++) await p.kernel.invoke(route.owner, route.handlerId, { case: 'http', value: request });
      return ((performance.now() - t0) * 1000) / CALLS;
    };
    const us = await alternate({ worker: () => perCall(worker), main: () => perCall(main) }, ROUNDS);
    const ratio = pairedRatio(us.main, us.worker, 'lower');
    return {
      rows: [
        { metric: `invoke + 1 db.queryOne, ${CALLS} calls`, side: 'worker (default)', unit: 'µs/call', sample: summarize(us.worker) },
        { metric: '', side: 'main thread (JSPI)', unit: 'µs/call', sample: summarize(us.main) },
      ],
      ratios: [{ what: 'worker ÷ main (how much cheaper the main thread is)', sample: ratio }],
      notes: [
        'Each call is one invoke into the module and one tool call back out (mc_call → gateway → db tool), so it counts two crossings.',
        'Main-thread mode cannot time a call out: it is for trusted modules (plugin.json "mode": "main").',
      ],
      verdicts: [{ bench: 'wasm-modes', what: 'main thread vs worker, per call', value: `${fmt(ratio.median)}× cheaper`, target: '(measured)', meets: true }],
    };
  } finally {
    await worker.stop();
    await main.stop();
  }
}

export const bench: Bench = { name: 'wasm-modes', title: 'a wasm module in a worker vs on the main thread — invoke plus one tool call', run };
