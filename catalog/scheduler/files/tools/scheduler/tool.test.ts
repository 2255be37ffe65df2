// The scheduler tool in real kernels (test/project.ts) on a real SQLite file and
// a real PostgreSQL database (test/services.ts): runs delivered as bus events to
// a native plugin's subscription, jobs kept across a restart, the missed-tick
// policy, and on one database shared by two kernels each tick fired once.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Kernel, McError, runInTrace, type Plain, type Tools } from '../../kernel/index.ts';
import type { Envelope } from '../../proto/gen/microcore/v1/bus_pb.js';
import { plugin, REAL_TOOLS, writeProject } from '../../test/project.ts';
import { postgresDatabase } from '../../test/services.ts';
import { PostgresJobs } from './store-postgres.ts';
import { SqliteJobs } from './store-sqlite.ts';
import type { Job, JobStore } from './jobs.ts';

/** What a test reaches in its plugin: the scheduler as the plugin holds it, and the events it got. */
interface Clock {
  scheduler: Tools['scheduler'];
  events: Plain<Envelope>[];
}

const TOPICS = ['job.tick', 'job.other'];

/** A kernel whose plugin jobs/clock subscribes to TOPICS and runs `onBoot` (code using `scheduler`) at boot. */
async function bootClock(env: Record<string, string>, onBoot = ''): Promise<{ kernel: Kernel; clock: Clock; root: string }> {
  const key = `__clock_${randomBytes(4).toString('hex')}`;
  const root = writeProject(
    {
      'domains/jobs/plugins/clock.ts': plugin(`
export class ClockPlugin {
  constructor({ scheduler, bus }) { this.scheduler = scheduler; this.bus = bus; globalThis.${key} = { scheduler, events: [] }; }
  async onBoot() {
    const scheduler = this.scheduler;
    for (const topic of ${JSON.stringify(TOPICS)}) await this.bus.subscribe({ topic, handler: (e) => { globalThis.${key}.events.push(e); } });
    ${onBoot}
  }
}`),
    },
    [...REAL_TOOLS.filter((t) => t !== 'bus-nats'), 'scheduler'],
  );
  const kernel = new Kernel({ root, env: { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'silent', AI_CONTEXT_PATH: 'off', SCHEDULER_POLL_MS: '50', ...env } });
  const report = await kernel.boot();
  expect(report.filter((i) => i.status !== 'ready')).toEqual([]);
  kernels.push({ kernel, root });
  return { kernel, clock: (globalThis as Record<string, unknown>)[key] as Clock, root };
}

const kernels: { kernel: Kernel; root: string }[] = [];
afterEach(async () => {
  for (const { kernel, root } of kernels.splice(0)) {
    await kernel.shutdown();
    rmSync(root, { recursive: true, force: true });
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function refusal(p: Promise<unknown>): Promise<McError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(McError);
  return err as McError;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mc-sched-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(['SQLite', 'PostgreSQL'])('the scheduler on %s', (driver) => {
  // A store of its own for each test.
  let env: Record<string, string>;
  beforeEach(async () => {
    env = driver === 'SQLite' ? { DATABASE_PATH: join(dir, `${randomBytes(4).toString('hex')}.db`) } : { DATABASE_URL: await postgresDatabase() };
  });

  it('publishes a delayed job once, through the bus, as tool/scheduler in a trace of its own, then forgets it', async () => {
    const { kernel, clock } = await bootClock(env);
    const before = Date.now();
    const { name, nextRunMs } = await clock.scheduler.schedule({ name: 'soon', delayMs: 80, topic: 'job.tick', payload: { n: 9007199254740993n, raw: new Uint8Array([1, 2]) }, key: 'k1' });
    expect(name).toBe('soon');
    expect(Number(nextRunMs)).toBeGreaterThanOrEqual(before + 80);
    await until('the delayed run', () => clock.events.length === 1);
    const [e] = clock.events;
    expect(e).toMatchObject({ topic: 'job.tick', payload: { n: 9007199254740993n, raw: new Uint8Array([1, 2]) }, key: 'k1', source: 'tool/scheduler' });
    expect(Number(e!.timeUnixMs)).toBeGreaterThanOrEqual(Number(nextRunMs));
    // Traced: the event is a root node of its own trace, and the publish is counted against tool/scheduler.
    expect(kernel.tracer.list().find((n) => n.id === e!.id)).toMatchObject({ kind: 'event', source: 'tool/scheduler', parentId: '', traceId: e!.traceId });
    expect(kernel.metrics.totals().find((m) => m.caller === 'tool/scheduler' && m.tool === 'bus' && m.method === 'publish')).toMatchObject({ count: 1, errors: 0 });
    expect(kernel.metrics.recent().find((r) => r.caller === 'tool/scheduler')).toMatchObject({ traceId: e!.traceId });
    await sleep(200);
    expect(clock.events).toHaveLength(1);
    expect((await clock.scheduler.list()).jobs).toEqual([]);
  });

  it("runs a delayed job scheduled while handling something in that work's trace, caused by it", async () => {
    const { kernel, clock } = await bootClock(env);
    const traceId = 'ab'.repeat(16);
    await runInTrace({ traceId, eventId: 'request-1' }, () => clock.scheduler.schedule({ name: 'follow-up', delayMs: 30, topic: 'job.tick' }));
    await until('the delayed run', () => clock.events.length === 1);
    expect(clock.events[0]).toMatchObject({ traceId, parentId: 'request-1', source: 'tool/scheduler' });
    expect(kernel.tracer.list().find((n) => n.id === clock.events[0]!.id)).toMatchObject({ traceId, parentId: 'request-1' });
  });

  it('fires a cron job on each tick, lists it, and stops when cancelled', async () => {
    const { clock } = await bootClock(env);
    const { nextRunMs } = await clock.scheduler.schedule({ name: 'every-second', cron: '* * * * * *', topic: 'job.tick', payload: 'tick' });
    expect(Number(nextRunMs) % 1000).toBe(0);
    expect((await clock.scheduler.list()).jobs).toEqual([{ name: 'every-second', cron: '* * * * * *', topic: 'job.tick', payload: 'tick', key: '', nextRunMs }]);
    await until('two ticks', () => clock.events.length >= 2, 4_000);
    // One run per second: no two in the same second.
    const seconds = clock.events.map((e) => Math.floor(Number(e.timeUnixMs) / 1000));
    expect(new Set(seconds).size).toBe(seconds.length);
    expect(await clock.scheduler.cancel({ name: 'every-second' })).toEqual({ cancelled: true });
    expect(await clock.scheduler.cancel({ name: 'every-second' })).toEqual({ cancelled: false });
    const seen = clock.events.length;
    await sleep(1_300);
    expect(clock.events.length).toBe(seen);
  });

  it('replaces a job scheduled again by name; the same expression keeps its next run', async () => {
    const { clock } = await bootClock(env);
    const first = await clock.scheduler.schedule({ name: 'nightly', cron: '0 3 * * *', topic: 'job.tick', payload: 1 });
    const again = await clock.scheduler.schedule({ name: 'nightly', cron: '0 3 * * *', topic: 'job.other', payload: 2 });
    expect(again.nextRunMs).toBe(first.nextRunMs);
    const changed = await clock.scheduler.schedule({ name: 'nightly', cron: '0 4 * * *', topic: 'job.other', payload: 3 });
    expect(changed.nextRunMs - first.nextRunMs).toBe(3_600_000n);
    expect((await clock.scheduler.list()).jobs).toMatchObject([{ name: 'nightly', cron: '0 4 * * *', topic: 'job.other', payload: 3n }]);
    // A cron job replaced by a delayed one of the same name: one run, on the new topic, then nothing.
    await clock.scheduler.schedule({ name: 'nightly', delayMs: 0, topic: 'job.other', payload: 4 });
    await until('the replacement', () => clock.events.length === 1);
    expect(clock.events[0]).toMatchObject({ topic: 'job.other', payload: 4n });
    expect((await clock.scheduler.list()).jobs).toEqual([]);
  });

  it('keeps each caller to its own jobs', async () => {
    const { kernel, clock } = await bootClock(env);
    await clock.scheduler.schedule({ name: 'mine', cron: '@daily', topic: 'job.tick' });
    const other = (kernel.getTool('scheduler') as { list: (i: object, c: object) => Promise<{ jobs: unknown[] }>; cancel: (i: object, c: object) => Promise<{ cancelled: boolean }> });
    const call = { caller: 'other/plugin', traceId: '' };
    expect((await other.list({}, call)).jobs).toEqual([]);
    expect(await other.cancel({ name: 'mine' }, call)).toEqual({ cancelled: false });
    expect((await clock.scheduler.list()).jobs).toHaveLength(1);
  });

  it('refuses an invalid job, naming the field', async () => {
    const { clock } = await bootClock(env);
    const bad = await refusal(clock.scheduler.schedule({ name: 'x', cron: '0 25 * * *', topic: 'job.tick' }));
    expect(bad.code).toBe('MC_ERR_INVALID_ARGUMENT');
    expect(bad.message).toContain("jobs/clock scheduler.schedule 'x' cron '0 25 * * *' hour field '25'");
    expect(bad.details).toEqual({ field: 'cron', cronField: 'hour' });
    expect((await refusal(clock.scheduler.schedule({ name: 'x', cron: '* * * * *', delayMs: 5, topic: 'job.tick' }))).details).toEqual({ field: 'delayMs' });
    expect((await refusal(clock.scheduler.schedule({ name: 'x', delayMs: -1, topic: 'job.tick' }))).code).toBe('MC_ERR_INVALID_ARGUMENT');
    expect((await refusal(clock.scheduler.schedule({ name: '', delayMs: 5, topic: 'job.tick' }))).details).toEqual({ field: 'name' });
    expect((await refusal(clock.scheduler.schedule({ name: 'x'.repeat(201), delayMs: 5, topic: 'job.tick' }))).details).toEqual({ field: 'name' });
    expect((await refusal(clock.scheduler.schedule({ name: 'x', delayMs: 5, topic: 'not a topic' }))).details).toEqual({ field: 'topic' });
    expect((await clock.scheduler.list()).jobs).toEqual([]);
  });

  it('keeps jobs across a restart; missed cron ticks fire once at startup, a delayed job that came due fires then', async () => {
    // Two ticks a minute, both due while the kernel is down; boot code schedules the job on every boot, as a plugin would.
    const s = (new Date().getUTCSeconds() + 2) % 60;
    const cron = `${s},${(s + 1) % 60} * * * * *`;
    const boot = `await scheduler.schedule({ name: 'twice-a-minute', cron: '${cron}', topic: 'job.tick' });`;
    const one = await bootClock(env, boot);
    await one.clock.scheduler.schedule({ name: 'later', delayMs: 300, topic: 'job.other', payload: 'late' });
    await one.kernel.shutdown();
    kernels.splice(0);
    expect(one.clock.events).toEqual([]);
    await sleep(3_500);
    const two = await bootClock(env, boot);
    await until('the runs at startup', () => two.clock.events.length >= 2);
    await sleep(500);
    // Coalesced: one run for both missed ticks; the delayed job once.
    expect(two.clock.events.map((e) => e.topic).sort()).toEqual(['job.other', 'job.tick']);
    expect(two.clock.events.find((e) => e.topic === 'job.other')?.payload).toBe('late');
    // Then the schedule again, from now: the next of the two seconds, about a minute on.
    const [job] = (await two.clock.scheduler.list()).jobs;
    expect(job).toMatchObject({ name: 'twice-a-minute', cron });
    expect(Number(job!.nextRunMs) - Date.now()).toBeGreaterThan(50_000);
    expect(new Date(Number(job!.nextRunMs)).getUTCSeconds()).toBe(s);
  });

  it('fires each tick once with two kernels on one store', async () => {
    const [a, b] = await Promise.all([bootClock({ ...env, KERNEL_ID: 'a' }), bootClock({ ...env, KERNEL_ID: 'b' })]);
    // Twenty one-off jobs due at once, scheduled through one kernel, and one cron job.
    await Promise.all(Array.from({ length: 20 }, (_, i) => a.clock.scheduler.schedule({ name: `once-${i}`, delayMs: 150, topic: 'job.other', payload: i })));
    await a.clock.scheduler.schedule({ name: 'each-second', cron: '* * * * * *', topic: 'job.tick' });
    await sleep(2_600);
    await a.clock.scheduler.cancel({ name: 'each-second' });
    await sleep(200);
    const events = [...a.clock.events, ...b.clock.events];
    const once = events.filter((e) => e.topic === 'job.other').map((e) => Number(e.payload)).sort((x, y) => x - y);
    expect(once).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const seconds = events.filter((e) => e.topic === 'job.tick').map((e) => Math.floor(Number(e.timeUnixMs) / 1000));
    expect(seconds.length).toBeGreaterThanOrEqual(2);
    expect(new Set(seconds).size).toBe(seconds.length);
  });
});

describe('a due run claimed by many at once', () => {
  const job = (nextRunMs: number): Job => ({ owner: 'jobs/clock', name: 'race', cron: '* * * * *', topic: 'job.tick', payload: new Uint8Array([0x0a, 0x00]), key: '', nextRunMs, traceId: '', parentId: '' });

  async function race(stores: JobStore[]): Promise<void> {
    // N ticks: each claimed by eight concurrent claimers; exactly one wins each.
    let due = 60_000;
    await stores[0]!.put(job(due));
    for (let tick = 0; tick < 25; tick++) {
      const wins = await Promise.all(stores.flatMap((s) => [s, s].map((x) => x.claim(job(due), due + 60_000))));
      expect(wins.filter(Boolean)).toHaveLength(1);
      due += 60_000;
    }
    expect(await stores[1]!.earliest()).toBe(due);
    // A delayed job: deleted by one claimer only.
    const once = { ...job(5), cron: '', name: 'once' };
    await stores[0]!.put(once);
    expect((await Promise.all(stores.map((s) => s.claim(once, undefined)))).filter(Boolean)).toHaveLength(1);
  }

  it('on PostgreSQL: four stores (four kernels), one winner a tick', async () => {
    const url = await postgresDatabase();
    const stores = await Promise.all([1, 2, 3, 4].map(() => PostgresJobs.open(url, {}, { warn: () => {} })));
    try {
      await race(stores);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('on one SQLite file: four connections, one winner a tick', async () => {
    const file = join(dir, 'race.db');
    const stores = [1, 2, 3, 4].map(() => new SqliteJobs(dir, file));
    try {
      await race(stores);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
