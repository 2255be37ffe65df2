// The bus as a plugin sees it (an injected proxy, tracing and metrics on) vs a
// Moleculer 0.15 local broker, and Node's EventEmitter as the floor of what an
// in-process publish can cost.
import { ServiceBroker } from 'moleculer';
import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import { newTrace, runInTrace } from '../kernel/index.ts';
import { testTools } from '../kernel/testing.ts';
import { alternate, fmt, pairedRatio, summarize, type Bench, type BenchResult } from './stats.ts';

const ROUNDS = 5;
const EVENTS = 5000;
const REQUESTS = 2000;
const MIN_ROUND_MS = 250;

/** A counter that resolves once it has seen `expected` deliveries. */
function counter() {
  let seen = 0;
  let expected = Infinity;
  let done = () => {};
  return {
    hit() {
      if (++seen === expected) done();
    },
    /** Resets, and returns the promise of the next `n` deliveries. */
    expect(n: number): Promise<void> {
      seen = 0;
      expected = n;
      return new Promise((resolve) => (done = resolve));
    },
    get seen() {
      return seen;
    },
  };
}

/**
 * Repeats one batch until a round has lasted MIN_ROUND_MS: the three sides differ
 * by up to a thousandfold, and a fixed count short enough for the slowest would
 * leave the fastest timing a millisecond of timer noise. Returns items per second.
 */
async function timed(batch: () => Promise<void>, perBatch: number): Promise<number> {
  let done = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < MIN_ROUND_MS) {
    await batch();
    done += perBatch;
  }
  return done / ((performance.now() - t0) / 1000);
}

async function run(): Promise<BenchResult> {
  const t = await testTools({ identity: 'bench/bus' });
  const broker = new ServiceBroker({ logger: false, metrics: false, tracing: false, transporter: null });
  try {
    const mcSeen = counter();
    await t.tools.bus.subscribe({ topic: 'bench.tick', handler: () => void mcSeen.hit() });
    await t.tools.bus.subscribe({ topic: 'bench.echo', handler: (e) => e.payload });

    const molSeen = counter();
    broker.createService({
      name: 'bench',
      events: { 'bench.tick': () => void molSeen.hit() },
      actions: { echo: (ctx: { params: unknown }) => ctx.params },
    });
    await broker.start();

    const ee = new EventEmitter();
    const eeSeen = counter();
    ee.on('bench.tick', () => eeSeen.hit());

    const mcPublish = async () => {
      const all = mcSeen.expect(EVENTS);
      for (let i = 0; i < EVENTS; i++) await t.tools.bus.publish({ topic: 'bench.tick', payload: { n: i } });
      await t.settle();
      await all;
    };
    const mcRequest = async () => {
      for (let i = 0; i < REQUESTS; i++) {
        const { payload } = await t.tools.bus.request({ topic: 'bench.echo', payload: { n: i } });
        // An integer crosses the contract as int64, so it comes back as a bigint.
        if (Number((payload as { n: bigint }).n) !== i) throw new Error(`MicroCore answered ${inspect(payload)} to ${i}`);
      }
    };
    // A plugin publishing from a handler is inside that handler's trace; at top level
    // (as measured first) the proxy and the bus each start a trace of their own per call.
    const inTrace = (batch: () => Promise<void>) => () => runInTrace(newTrace(), batch);

    // Publishers await each publish, as a plugin would; the clock stops when the last event is delivered.
    const publish = await alternate(
      {
        microcore: () => timed(mcPublish, EVENTS),
        microcoreInTrace: () => timed(inTrace(mcPublish), EVENTS),
        moleculer: () =>
          timed(async () => {
            const all = molSeen.expect(EVENTS);
            for (let i = 0; i < EVENTS; i++) await broker.emit('bench.tick', { n: i });
            await all;
          }, EVENTS),
        eventemitter: () =>
          timed(async () => {
            const all = eeSeen.expect(EVENTS);
            for (let i = 0; i < EVENTS; i++) ee.emit('bench.tick', { n: i });
            await all;
          }, EVENTS),
      },
      ROUNDS,
    );

    const request = await alternate(
      {
        microcore: () => timed(mcRequest, REQUESTS),
        microcoreInTrace: () => timed(inTrace(mcRequest), REQUESTS),
        moleculer: () =>
          timed(async () => {
            for (let i = 0; i < REQUESTS; i++) {
              const answer = (await broker.call('bench.echo', { n: i })) as { n: number };
              if (answer.n !== i) throw new Error(`Moleculer answered ${JSON.stringify(answer)} to ${i}`);
            }
          }, REQUESTS),
      },
      ROUNDS,
    );

    const vsEmit = pairedRatio(publish.microcore, publish.moleculer, 'higher');
    const vsEe = pairedRatio(publish.microcore, publish.eventemitter, 'higher');
    const vsCall = pairedRatio(request.microcore, request.moleculer, 'higher');
    const vsEmitTraced = pairedRatio(publish.microcoreInTrace, publish.moleculer, 'higher');
    const vsCallTraced = pairedRatio(request.microcoreInTrace, request.moleculer, 'higher');
    return {
      rows: [
        { metric: `publish → deliver, batches of ${EVENTS}`, side: 'MicroCore bus', unit: 'events/s', sample: summarize(publish.microcore) },
        { metric: '', side: 'MicroCore bus, in a trace', unit: 'events/s', sample: summarize(publish.microcoreInTrace) },
        { metric: '', side: 'Moleculer emit', unit: 'events/s', sample: summarize(publish.moleculer) },
        { metric: '', side: 'EventEmitter', unit: 'events/s', sample: summarize(publish.eventemitter) },
        { metric: `request/reply, sequential`, side: 'MicroCore bus', unit: 'round trips/s', sample: summarize(request.microcore) },
        { metric: '', side: 'MicroCore bus, in a trace', unit: 'round trips/s', sample: summarize(request.microcoreInTrace) },
        { metric: '', side: 'Moleculer call', unit: 'round trips/s', sample: summarize(request.moleculer) },
      ],
      ratios: [
        { what: 'publish MicroCore ÷ Moleculer emit', sample: vsEmit },
        { what: 'publish MicroCore ÷ EventEmitter (floor, no target)', sample: vsEe },
        { what: 'publish MicroCore in a trace ÷ Moleculer emit', sample: vsEmitTraced },
        { what: 'request MicroCore ÷ Moleculer call', sample: vsCall },
        { what: 'request MicroCore in a trace ÷ Moleculer call', sample: vsCallTraced },
      ],
      notes: [
        'MicroCore goes through the injected proxy of kernel/testing.ts: contract checks, metrics and the tracer are on, as for any plugin.',
        'Moleculer: local broker, logger, metrics and tracing off, no transporter. EventEmitter emits synchronously and is not awaited.',
      ],
      verdicts: [
        // Issue 11's targets.
        { bench: 'bus', what: 'publish → deliver vs Moleculer emit', value: `${fmt(vsEmit.median)}×`, target: '≥ 1×', meets: vsEmit.median >= 1 },
        { bench: 'bus', what: 'publish → deliver vs emit, in a trace', value: `${fmt(vsEmitTraced.median)}×`, target: '≥ 1×', meets: vsEmitTraced.median >= 1 },
        { bench: 'bus', what: 'request/reply vs Moleculer call', value: `${fmt(vsCall.median)}×`, target: '≥ 0.5×', meets: vsCall.median >= 0.5 },
        { bench: 'bus', what: 'request/reply vs call, in a trace', value: `${fmt(vsCallTraced.median)}×`, target: '≥ 0.5×', meets: vsCallTraced.median >= 0.5 },
      ],
    };
  } finally {
    await broker.stop();
    await t.close();
  }
}

export const bench: Bench = { name: 'bus', title: 'bus publish → deliver and request/reply — MicroCore proxy vs Moleculer 0.15 vs EventEmitter', run };
