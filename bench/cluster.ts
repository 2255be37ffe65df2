// Scale-out on real engines: the same app on one kernel with the in-process
// defaults (SQLite, the in-process bus) against 1, 2 and 3 kernels sharing
// PostgreSQL and NATS JetStream (servers started for the run, test/services.ts).
// Each kernel is a child process (cluster.server.ts) with the users domain and
// a counter subscribed to `bench.tick` in one consumer group.
//
// (a) events/s: N events published, split over the kernels, until the group has
//     handled all N (each once, in whichever kernel);
// (b) GET /users/:id req/s: autocannon against every kernel at once, summed.
//
// This machine has 2 cores: three kernels, nats-server, PostgreSQL and the load
// generator share them, so more kernels cannot mean more throughput here; the
// figures show the cost of the cluster drivers and that the work spreads.
import autocannon from 'autocannon';
import { join } from 'node:path';
import { natsPrefix, postgresDatabase, startServices } from '../test/services.ts';
import { ServerChild } from './server-child.ts';
import { pairedRatio, summarize, type Bench, type BenchResult, type Row } from './stats.ts';

const SERVER = join(import.meta.dirname, 'cluster.server.ts');

const ROUNDS = 3;
const EVENTS = 6_000;
const LOAD_S = 3;
const CONNECTIONS_PER_KERNEL = 8;
const PATHS = Array.from({ length: 1000 }, (_, i) => ({ method: 'GET', path: `/users/${i + 1}` }));

interface Figures {
  eventsPerS: number[];
  reqPerS: number[];
}

/** Boots `count` kernels with `env`, seeds once, and measures ROUNDS rounds of events then requests. */
async function measure(count: number, env: () => Promise<Record<string, string>>): Promise<Figures> {
  const settings = await env();
  const kernels: ServerChild[] = [];
  try {
    // One after another: the first migrates, the others find it done.
    for (let k = 0; k < count; k++) {
      const id = `bench-${k + 1}`;
      const child = new ServerChild(id, { files: {}, item: '' }, SERVER, { ...settings, KERNEL_ID: id });
      kernels.push(child);
      await child.ready();
    }
    await kernels[0]!.ask({ type: 'seed' }, 'seeded');
    const figures: Figures = { eventsPerS: [], reqPerS: [] };
    for (let round = 0; round <= ROUNDS; round++) {
      const events = await eventsPerSecond(kernels);
      const requests = await requestsPerSecond(kernels);
      // Round 0 warms up (JIT, connections, the consumer's first pulls).
      if (round === 0) continue;
      figures.eventsPerS.push(events);
      figures.reqPerS.push(requests);
    }
    return figures;
  } finally {
    await Promise.all(kernels.map((k) => k.stop()));
  }
}

async function handled(kernels: ServerChild[]): Promise<number> {
  const counts = await Promise.all(kernels.map((k) => k.ask({ type: 'handled' }, 'handled')));
  return counts.reduce((sum, m) => sum + m.count!, 0);
}

async function eventsPerSecond(kernels: ServerChild[]): Promise<number> {
  const before = await handled(kernels);
  const t0 = performance.now();
  const share = Math.floor(EVENTS / kernels.length);
  await Promise.all(kernels.map((k, i) => k.ask({ type: 'publish', count: i === 0 ? EVENTS - share * (kernels.length - 1) : share }, 'published')));
  const deadline = Date.now() + 120_000;
  for (;;) {
    const done = (await handled(kernels)) - before;
    if (done === EVENTS) break;
    if (done > EVENTS) throw new Error(`the group handled ${done} of ${EVENTS} events: some twice`);
    if (Date.now() > deadline) throw new Error(`only ${done} of ${EVENTS} events handled after 120 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return EVENTS / ((performance.now() - t0) / 1000);
}

async function requestsPerSecond(kernels: ServerChild[]): Promise<number> {
  const results = await Promise.all(
    kernels.map(async (k) => {
      let bad = 0;
      const run = autocannon({ url: `http://127.0.0.1:${k.port}`, connections: CONNECTIONS_PER_KERNEL, duration: LOAD_S, requests: PATHS });
      run.on('response', (_c, status) => {
        if (status !== 200) bad++;
      });
      const result = await run;
      if (bad || result.errors || result.timeouts) throw new Error(`${bad} non-200 answers, ${result.errors} errors, ${result.timeouts} timeouts`);
      return result.requests.total / LOAD_S;
    }),
  );
  return results.reduce((a, b) => a + b, 0);
}

async function run(): Promise<BenchResult> {
  const services = await startServices();
  try {
    const cluster = async () => ({ DATABASE_URL: await postgresDatabase(services.postgresUrl), BUS_DRIVER: 'nats', NATS_URL: services.natsUrl, NATS_PREFIX: natsPrefix() });
    const sides: [string, Figures][] = [['in-process, 1 kernel', await measure(1, async () => ({}))]];
    for (const n of [1, 2, 3]) sides.push([`NATS + PostgreSQL, ${n} kernel${n > 1 ? 's' : ''}`, await measure(n, cluster)]);
    const rows: Row[] = [];
    for (const [metric, key, unit] of [[`(a) events handled by one group, ${EVENTS} per round`, 'eventsPerS', 'events/s'], [`(b) GET /users/:id, ${CONNECTIONS_PER_KERNEL} conns per kernel, ${LOAD_S} s`, 'reqPerS', 'req/s']] as const) {
      sides.forEach(([side, f], i) => rows.push({ metric: i === 0 ? metric : '', side, unit, sample: summarize(f[key]) }));
    }
    const base = sides[0]![1];
    const ratios = sides.slice(1).flatMap(([side, f]) => [
      { what: `events/s, ${side} ÷ in-process`, sample: pairedRatio(f.eventsPerS, base.eventsPerS, 'higher') },
      { what: `req/s, ${side} ÷ in-process`, sample: pairedRatio(f.reqPerS, base.reqPerS, 'higher') },
    ]);
    return {
      rows,
      ratios,
      notes: [
        'Rounds of each side run back to back (booting a cluster per round would measure boots), after one discarded warm-up round; the sides run one after another in this process run.',
        'Every guarantee stays on in the cluster: each publish waits for JetStream\'s acknowledgement (the in-process bus accepts at once), each event is acked after its handler, duplicates are screened by envelope id.',
        `${(await import('node:os')).availableParallelism()} cores: the kernels, nats-server, PostgreSQL and autocannon share them, so added kernels cannot add throughput on this machine; on more cores each kernel brings its own.`,
      ],
      verdicts: [],
    };
  } finally {
    await services.stop();
  }
}

export const bench: Bench = { name: 'cluster', title: 'events/s and GET /users/:id req/s: 1, 2, 3 kernels on NATS + PostgreSQL vs one in-process kernel', run };
