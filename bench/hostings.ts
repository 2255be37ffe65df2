// The same endpoint in every hosting (issue 9): GET /bench/<hosting>/item/:id,
// one db.queryOne answered as JSON, from a TS native plugin, a Go sidecar, a Rust
// sidecar, a Rust wasm module in a worker and on the main thread, and a Go wasm
// module (sources in bench/hostings/, built by hostings-build.ts). Each hosting
// is served by its own kernel in its own child process (project.server.ts);
// every figure is set against the native plugin's in the same run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILT, buildPlugins, PLUGINS, type Built } from './hostings-build.ts';
import { canonicalJson, load, ServerChild, type Window } from './server-child.ts';
import { alternate, fmt, summarize, type Bench, type BenchResult, type Row, type Sample, type Verdict } from './stats.ts';

const ROUNDS = 5;
const SATURATION_S = 2;
const FIXED_RATE_S = 3;
const CONNECTIONS = 10;
// Half the slowest side's saturation: a lower rate would bill idle wake-ups (Go's scheduler, timers) to each request.
const FIXED_SHARE = 0.5;
/** The tool-call endpoint makes K queries; (time(K) − time(1)) ÷ (K − 1) is one tool call. */
const K = 11;
/** Each invoke measurement repeats its calls for at least this long (a native call is a few µs). */
const INVOKE_MS = 250;
const ITEMS = 1000;

interface Side {
  name: string;
  label: string;
  /** What the side needs built; a build that failed skips it. */
  needs?: Built;
  /** The project files beyond the migration, and the report item that must come up. */
  files: Record<string, string>;
  item: string;
  targets: (keyof typeof TARGETS)[];
}

/** Issue 9's targets, by what they measure. */
const TARGETS = { cpu: 'server CPU per request', p50: 'p50 at 1 conn', call100: 'invoke + 1 tool call', call25: 'invoke + 1 tool call' } as const;

const manifest = (name: string, extra: Record<string, unknown>) => JSON.stringify({ name: `bench-${name}`, description: `The bench endpoint (${name}).`, needs: ['http', 'db'], config: { hosting: name }, ...extra });
const sidecar = (name: string, command: string) => ({ [`sidecars/bench-${name}/sidecar.json`]: manifest(name, { command, startTimeoutMs: 20_000 }) });
const wasm = (name: string, module: string, extra: Record<string, unknown>) => ({ [`wasm-plugins/bench-${name}/plugin.json`]: manifest(name, { module, limits: { timeoutMs: 5000 }, ...extra }) });

const SIDES: Side[] = [
  { name: 'ts', label: 'TS native', files: { 'domains/bench/plugins/bench-item.ts': `export * from '${PLUGINS}/ts/bench-item.ts';\n` }, item: 'bench/bench-item', targets: [] },
  { name: 'go', label: 'Go sidecar', needs: 'goSidecar', files: sidecar('go', BUILT.goSidecar), item: 'sidecar/bench-go', targets: ['cpu', 'p50'] },
  { name: 'rustsc', label: 'Rust sidecar', needs: 'rustSidecar', files: sidecar('rustsc', BUILT.rustSidecar), item: 'sidecar/bench-rustsc', targets: ['cpu', 'p50'] },
  { name: 'rust', label: 'Rust wasm, worker', needs: 'rustWasm', files: wasm('rust', BUILT.rustWasm, { mode: 'worker' }), item: 'wasm/bench-rust', targets: ['cpu', 'call100'] },
  { name: 'rustmain', label: 'Rust wasm, main thread', needs: 'rustWasm', files: wasm('rustmain', BUILT.rustWasm, { mode: 'main' }), item: 'wasm/bench-rustmain', targets: ['call25'] },
  { name: 'gowasm', label: 'Go wasm, worker', needs: 'goWasm', files: wasm('gowasm', BUILT.goWasm, { mode: 'worker', wasi: true }), item: 'wasm/bench-gowasm', targets: ['cpu', 'call100'] },
];

interface Calls {
  /** µs per kernel.invoke of the endpoint making one tool call. */
  one: number;
  /** µs of each further tool call. */
  more: number;
}

/** Boots every side that could be built; a side that fails to build or boot becomes a named skip. */
async function start(notes: string[]): Promise<Map<Side, ServerChild>> {
  const t0 = performance.now();
  const skips = buildPlugins();
  notes.push(`built the bench plugins (go and cargo, up to date or not) in ${fmt((performance.now() - t0) / 1000)} s`);
  const migration = { 'domains/bench/migrations/001_bench_items.sql': readFileSync(join(PLUGINS, 'items.sql'), 'utf8') };
  const servers = new Map<Side, ServerChild>();
  // One at a time: six kernels booting at once on 2 cores would be timed out by their own boot limits.
  for (const side of SIDES) {
    const skip = side.needs && skips[side.needs];
    if (skip) {
      notes.push(`SKIPPED ${side.label}: ${skip}`);
      continue;
    }
    const server = new ServerChild(side.label, { files: { ...migration, ...side.files }, item: side.item });
    try {
      await server.ready();
      servers.set(side, server);
    } catch (err) {
      await server.stop();
      if (side.name === 'ts') throw err;
      notes.push(`SKIPPED ${side.label}: ${(err as Error).message}`);
    }
  }
  return servers;
}

/** Every hosting must answer what the native plugin answers, or the comparison means nothing. */
async function sameAnswers(servers: Map<Side, ServerChild>): Promise<void> {
  const body = async (side: Side, s: ServerChild, id: number) => {
    const res = await fetch(`http://127.0.0.1:${s.port}/bench/${side.name}/item/${id}?calls=2`);
    return `${res.status} ${canonicalJson(await res.text())}`;
  };
  const [native, nativeServer] = [...servers][0]!;
  for (const id of [1, 500, 1000]) {
    const want = await body(native, nativeServer, id);
    for (const [side, s] of servers) {
      const got = await body(side, s, id);
      if (got !== want) throw new Error(`${side.label} answers ${got} for item ${id}, the native plugin ${want}`);
    }
  }
}

async function calls(side: Side, s: ServerChild): Promise<Calls> {
  const path = `/bench/${side.name}/item/:id`;
  const one = await s.invoke(path, { id: '42' }, {}, INVOKE_MS);
  const k = await s.invoke(path, { id: '42' }, { calls: String(K) }, INVOKE_MS);
  return { one, more: (k - one) / (K - 1) };
}

async function run(): Promise<BenchResult> {
  const notes: string[] = [];
  const servers = await start(notes);
  try {
    await sameAnswers(servers);
    const sides = [...servers.keys()];
    const each = <T>(f: (side: Side, s: ServerChild) => Promise<T>) => Object.fromEntries(sides.map((side) => [side.name, () => f(side, servers.get(side)!)]));
    const paths = (side: Side) => Array.from({ length: ITEMS }, (_, i) => ({ method: 'GET', path: `/bench/${side.name}/item/${i + 1}` }));

    const sat = await alternate<string, Window>(each((side, s) => load(s, paths(side), { connections: CONNECTIONS, seconds: SATURATION_S })), ROUNDS);
    const lowest = Math.min(...sides.map((side) => summarize(sat[side.name]!.map((w) => w.reqPerS)).median));
    const rate = Math.max(100, Math.floor((lowest * FIXED_SHARE) / 100) * 100);
    const fixed = await alternate<string, Window>(each((side, s) => load(s, paths(side), { connections: 1, seconds: FIXED_RATE_S, overallRate: rate })), ROUNDS);
    const cost = await alternate<string, Calls>(each(calls), ROUNDS);

    const rows: Row[] = [];
    const add = <T>(metric: string, unit: string, by: Record<string, T[]>, pick: (t: T) => number) =>
      sides.forEach((side, i) => rows.push({ metric: i ? '' : metric, side: side.label, unit, sample: summarize(by[side.name]!.map(pick)) }));
    add(`(a) saturation, ${CONNECTIONS} conns, ${SATURATION_S} s`, 'req/s', sat, (w) => w.reqPerS);
    add('    server busy (kernel + plugin process)', 'cores', sat, (w) => w.cores);
    add('    server CPU per request', 'µs', sat, (w) => w.cpuUsPerReq);
    add(`(b) p50, ${rate} req/s, 1 conn, ${FIXED_RATE_S} s`, 'ms', fixed, (w) => w.p50Ms);
    add('    p99, same windows', 'ms', fixed, (w) => w.p99Ms);
    add('    server CPU per request, same windows', 'µs', fixed, (w) => w.cpuUsPerReq);
    add(`(c) invoke + 1 tool call (kernel.invoke, no HTTP)`, 'µs', cost, (c) => c.one);
    add(`    one more tool call ((${K} calls − 1) ÷ ${K - 1})`, 'µs', cost, (c) => c.more);

    const native = sides[0]!.name;
    const perRound = (side: Side, by: Record<string, Window[]>, f: (w: Window, n: Window) => number): Sample => summarize(by[side.name]!.map((w, i) => f(w, by[native]![i]!)));
    const ratios: BenchResult['ratios'] = [];
    const verdicts: Verdict[] = [];
    const verdict = (side: Side, what: string, value: string, target: string, meets: boolean) => verdicts.push({ bench: 'hostings', what: `${side.label}: ${what}`, value, target, meets });
    for (const side of SIDES.slice(1)) {
      if (!servers.has(side)) {
        for (const t of side.targets) verdict(side, TARGETS[t], 'skipped (see notes)', '—', false);
        continue;
      }
      const cpu = perRound(side, fixed, (w, n) => w.cpuUsPerReq / n.cpuUsPerReq);
      const p50 = perRound(side, fixed, (w, n) => (w.p50Ms - n.p50Ms) * 1000);
      const one = summarize(cost[side.name]!.map((c) => c.one));
      ratios.push({ what: `${side.label}: CPU/request ÷ native (lower is better)`, sample: cpu });
      if (side.targets.includes('cpu')) verdict(side, TARGETS.cpu, `${fmt(cpu.median)}× native`, '≤ 2× native', cpu.median <= 2);
      if (side.targets.includes('p50')) verdict(side, TARGETS.p50, `native + ${fmt(p50.median)} µs`, '≤ native + 150 µs', p50.median <= 150);
      if (side.targets.includes('call100')) verdict(side, TARGETS.call100, `${fmt(one.median)} µs`, '≤ 100 µs', one.median <= 100);
      if (side.targets.includes('call25')) verdict(side, TARGETS.call25, `${fmt(one.median)} µs`, '≤ 25 µs', one.median <= 25);
    }
    notes.push(
      'Server CPU is the kernel process (process.cpuUsage: every thread, wasm workers included) plus its child processes (a sidecar: utime + stime from /proc/<pid>/stat, 10 ms ticks) over the load window, divided by the 200 answers.',
      `On 2 cores autocannon (this process) shares the machine with the server: a side below ~1 core busy in (a) was capped by the load generator. (b) runs every side at the same ${rate} req/s (${FIXED_SHARE * 100}% of the lowest saturation median) on one connection, so p50/p99 are service times without queueing, and CPU per request is compared at the same pace.`,
      `(c) times sequential kernel.invoke calls of the endpoint inside the server (no HTTP, no load generator) for ${INVOKE_MS} ms, then the same for the endpoint with ?calls=${K}; the difference ÷ ${K - 1} is the price of one tool call from that hosting.`,
    );
    return { rows, ratios, notes, verdicts };
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()));
  }
}

export const bench: Bench = { name: 'hostings', title: 'one db query answered as JSON, in each of the hostings — CPU, latency, throughput, tool-call cost', run };
