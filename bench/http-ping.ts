// GET /ping (issue 11): what the kernel costs per request when the handler does
// nothing — a native plugin answering {"pong":true} against bare fastify 5
// answering the same. Three kernels: the ping plugin alone; the example app
// with it (its domains, Go and Rust sidecars and wasm module loaded, though
// /ping never touches them); and the example app's TS domains only, to show
// what the sidecars and the wasm module cost a request that does not use them.
// Every server is a child process of its own (server-child.ts), alternated.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { exampleAppLinks, REPO } from '../test/project.ts';
import { load, ServerChild, type Window } from './server-child.ts';
import { alternate, fmt, pairedRatio, summarize, type Bench, type BenchResult, type Row, type Verdict } from './stats.ts';

const ROUNDS = 5;
const SATURATION_S = 2;
const FIXED_RATE_S = 3;
const CONNECTIONS = 10;
const FIXED_RATE = 2000;
const PATHS = [{ method: 'GET', path: '/ping' }];

const ping = { 'domains/bench/plugins/ping.ts': `export * from '${REPO}/bench/ping/ping.ts';\n` };
const tools = readdirSync(join(REPO, 'tools'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && readdirSync(join(REPO, 'tools', e.name)).includes('tool.ts'))
  .map((e) => e.name);

const SIDES = {
  fastify: { label: 'bare fastify 5', start: () => new ServerChild('fastify', { files: {}, item: '' }, join(import.meta.dirname, 'ping/fastify.server.ts')) },
  kernel: { label: 'kernel + ping plugin', start: () => new ServerChild('kernel', { files: ping, item: 'bench/ping', tools }) },
  app: { label: 'example app + ping', start: () => new ServerChild('app', { files: ping, item: 'bench/ping', tools, links: exampleAppLinks(), whole: true }) },
  appTs: { label: 'example app, TS domains only, + ping', start: () => new ServerChild('app-ts', { files: ping, item: 'bench/ping', tools, links: exampleAppLinks(['domains']), whole: true }) },
} as const;
type SideName = keyof typeof SIDES;
const NAMES = Object.keys(SIDES) as SideName[];

async function run(): Promise<BenchResult> {
  const servers = Object.fromEntries(NAMES.map((n) => [n, SIDES[n].start()])) as Record<SideName, ServerChild>;
  try {
    await Promise.all(Object.values(servers).map((s) => s.ready()));
    for (const s of Object.values(servers)) {
      const body = await (await fetch(`http://127.0.0.1:${s.port}/ping`)).text();
      if (body !== '{"pong":true}') throw new Error(`${s.name} answered GET /ping with ${body}`);
    }
    const each = (options: { connections: number; seconds: number; overallRate?: number }) => Object.fromEntries(NAMES.map((n) => [n, () => load(servers[n], PATHS, options)])) as Record<SideName, () => Promise<Window>>;
    const sat = await alternate(each({ connections: CONNECTIONS, seconds: SATURATION_S }), ROUNDS);
    const fixed = await alternate(each({ connections: 1, seconds: FIXED_RATE_S, overallRate: FIXED_RATE }), ROUNDS);

    const pick = (ws: Window[], k: keyof Window) => ws.map((w) => w[k]);
    const rows: Row[] = [];
    const add = (metric: string, unit: string, windows: Record<SideName, Window[]>, k: keyof Window) =>
      NAMES.forEach((n, i) => rows.push({ metric: i === 0 ? metric : '', side: SIDES[n].label, unit, sample: summarize(pick(windows[n], k)) }));
    add(`(a) saturation, ${CONNECTIONS} conns, ${SATURATION_S} s`, 'req/s', sat, 'reqPerS');
    add('    server CPU per request', 'µs', sat, 'cpuUsPerReq');
    add(`(b) ${FIXED_RATE} req/s, 1 conn, ${FIXED_RATE_S} s: server CPU per request`, 'µs', fixed, 'cpuUsPerReq');
    add('    p99', 'ms', fixed, 'p99Ms');

    const cpu = (n: SideName, windows: Record<SideName, Window[]>) => pairedRatio(pick(windows[n], 'cpuUsPerReq'), pick(windows.fastify, 'cpuUsPerReq'), 'lower');
    const ratios = NAMES.filter((n) => n !== 'fastify').flatMap((n) => [
      { what: `(a) CPU/request fastify ÷ ${SIDES[n].label}`, sample: cpu(n, sat) },
      { what: `(b) CPU/request fastify ÷ ${SIDES[n].label}`, sample: cpu(n, fixed) },
    ]);
    const extra = (windows: Record<SideName, Window[]>) => summarize(windows.app.map((w, i) => w.cpuUsPerReq - windows.appTs[i]!.cpuUsPerReq)).median;
    const verdict = (what: string, s: { median: number }): Verdict => ({ bench: 'http-ping', what, value: `${fmt(s.median)}×`, target: '≥ 0.9×', meets: s.median >= 0.9 });
    return {
      rows,
      ratios,
      notes: [
        `What the example app's sidecars and wasm module add to a /ping that never calls them, per request: ${fmt(extra(sat))} µs at saturation, ${fmt(extra(fixed))} µs at ${FIXED_RATE} req/s (app − TS domains only, paired by round).`,
        'Server CPU is the server process (all threads) plus its child processes (the sidecars), over the load window, per 200 answer.',
        'Every kernel runs as a user gets it: contract checks, metrics and tracing on; all repository tools loaded.',
      ],
      verdicts: [verdict('GET /ping CPU/request vs fastify, example app (saturation)', cpu('app', sat)), verdict('GET /ping CPU/request vs fastify, example app (fixed rate)', cpu('app', fixed))],
    };
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
}

export const bench: Bench = { name: 'http-ping', title: 'GET /ping from a native plugin — kernel alone and in the example app vs bare fastify 5', run };
