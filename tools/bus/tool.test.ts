// The bus tool, in-process driver. Anything that needs several identities
// (publisher vs subscriber, groups, forging, ownership, causality) boots a real
// kernel over a temp project whose plugins are written inline; each plugin puts
// its bus proxy on globalThis.__buses and what it receives on globalThis.__got.
// One-identity behaviour (ordering, request/reply, refusals) uses testTools.
// Every case runs on both drivers, in-process and NATS JetStream (the real
// nats-server vitest's global setup starts, a fresh NATS_PREFIX per kernel),
// but for the few the NATS driver does not keep by design, each skipped there
// with its reason (tools/bus-nats/tool.ts says why in its header).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mcError, newSpanId, runInTrace, type Plain, type Tools } from '../../kernel/index.ts';
import { testTools, type TestTools } from '../../kernel/testing.ts';
import type { Envelope } from '../../proto/gen/microcore/v1/bus_pb.js';
import { bootProject, plugin, type TestProject } from '../../test/project.ts';
import { natsPrefix, servicesFromEnv } from '../../test/services.ts';

type Env = Plain<Envelope>;
interface Shared {
  __got?: Record<string, unknown[]>;
  __buses?: Record<string, Tools['bus']>;
  __subs?: Record<string, string>;
}
const shared = globalThis as unknown as Shared;
const got = <T = Env>(name: string): T[] => (shared.__got?.[name] ?? []) as T[];
const busOf = (identity: string): Tools['bus'] => shared.__buses![identity]!;
const ids = (list: Env[]) => list.map((e) => e.id).sort();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A native plugin `<domain>/<name>` needing `needs` (bus first). `onBoot` runs
 * with each tool, `record(name, value)` and `mcError` in scope.
 */
function busPlugin(identity: string, onBoot = '', needs: string[] = ['bus']): Record<string, string> {
  const [domain, name] = identity.split('/') as [string, string];
  const cls = name.split('-').map((s) => s[0]!.toUpperCase() + s.slice(1)).join('') + 'Plugin';
  const list = needs.join(', ');
  return {
    [`domains/${domain}/plugins/${name}.ts`]: plugin(`
      const record = (name, value) => { ((globalThis.__got ??= {})[name] ??= []).push(value); };
      const keep = (name, id) => { (globalThis.__subs ??= {})[name] = id; };
      void keep;
      export class ${cls} {
        constructor({ ${list} }) { Object.assign(this, { ${list} }); (globalThis.__buses ??= {})['${identity}'] = bus; }
        async onBoot() { const { ${list} } = this; void record; ${onBoot} }
      }`),
  };
}

interface Driver {
  name: string;
  nats: boolean;
  /** The driver's settings for one kernel. */
  env(): Record<string, string>;
}
const DRIVERS: Driver[] = [
  { name: 'in-process', nats: false, env: () => ({ BUS_RETRY_BASE_MS: '5' }) },
  { name: 'NATS', nats: true, env: () => ({ BUS_RETRY_BASE_MS: '5', BUS_DRIVER: 'nats', NATS_URL: servicesFromEnv().natsUrl, NATS_PREFIX: natsPrefix() }) },
];
let current: Driver = DRIVERS[0]!;

let project: TestProject | undefined;
async function boot(plugins: Record<string, string>[], tools: string[] = ['logger', 'bus', 'bus-nats']): Promise<TestProject> {
  project = await bootProject(Object.assign({}, ...plugins), { tools, env: current.env() });
  for (const item of project.report) expect(item.status, `${item.name}: ${item.reason}`).toBe('ready');
  return project;
}
const idle = () => (project!.kernel.getTool('bus') as { idle(): Promise<void> }).idle();
const nodeOf = (id: string) => project!.kernel.tracer.list().find((n) => n.id === id);

beforeEach(() => {
  shared.__got = {};
  shared.__buses = {};
  shared.__subs = {};
});
afterEach(async () => {
  await project?.stop();
  project = undefined;
});

const PUBLISHER = busPlugin('shop/orders');
const AUDIT = busPlugin('audit/log', `keep('audit/log', (await bus.subscribe({ topic: 'order.created', handler: (env) => record('log', env) })).subscriptionId);`);

interface DeadLetter {
  event: Env;
  subscriber: string;
  attempts: bigint;
  error: { code: string; message: string };
}
const busTool = () => project!.kernel.getTool('bus') as { counts(): { delivered: number; deadLettered: number } };

describe.each(DRIVERS)('bus, $name driver', (driver) => {
  beforeEach(() => {
    current = driver;
  });
  // A case the driver cannot keep, by design: skipped on it by name, the reason printed.
  const inProcessOnly = (title: string, why: string, fn: () => Promise<void>) => (driver.nats ? it.skip(`${title} [not on NATS: ${why}]`, fn) : it(title, fn));

  describe('bus envelopes', () => {
    it('delivers id, topic, exact payload, trace, parent, source = publisher, time, key and attempt 1', async () => {
      await boot([PUBLISHER, AUDIT]);
      const payload = { big: 9007199254740993n, bytes: new Uint8Array([0, 1, 254, 255]), nothing: null, text: 'naïve café — 日本語 🚀', half: 1.5 };
      const trace = { traceId: 'ab'.repeat(16), spanId: newSpanId(), eventId: 'evt-parent-1' };
      const before = Date.now();
      const { id } = await runInTrace(trace, () => busOf('shop/orders').publish({ topic: 'order.created', payload, key: 'order-42' }));
      await idle();
      const after = Date.now();
      expect(id).toMatch(UUID);
      expect(got('log')).toHaveLength(1);
      const env = got('log')[0]!;
      expect(env).toEqual({ id, topic: 'order.created', payload, traceId: trace.traceId, parentId: 'evt-parent-1', source: 'shop/orders', timeUnixMs: env.timeUnixMs, key: 'order-42', attempt: 1 });
      expect(env.payload).toEqual(payload);
      expect((env.payload as { big: unknown }).big).toBe(9007199254740993n);
      expect(typeof env.timeUnixMs).toBe('bigint');
      expect(env.timeUnixMs).toBeGreaterThanOrEqual(BigInt(before));
      expect(env.timeUnixMs).toBeLessThanOrEqual(BigInt(after));

      // Published outside any work: a fresh trace, and no parent.
      await busOf('shop/orders').publish({ topic: 'order.created', payload: null });
      await idle();
      const root = got('log')[1]!;
      expect(root).toMatchObject({ payload: null, parentId: '', key: '', attempt: 1, source: 'shop/orders' });
      expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(root.traceId).not.toBe(trace.traceId);
    });

    it('sets the source itself: a payload cannot forge it, and a source field in the request is refused', async () => {
      await boot([PUBLISHER, AUDIT]);
      const forged = { source: 'admin/x', traceId: 'f'.repeat(32), parentId: 'forged-parent' };
      const { id } = await busOf('shop/orders').publish({ topic: 'order.created', payload: forged });
      await expect(busOf('shop/orders').publish({ topic: 'order.created', payload: {}, source: 'admin/x' } as never)).rejects.toMatchObject({
        code: 'MC_ERR_INVALID_ARGUMENT',
        message: expect.stringContaining('bus.publish input.source is not a field of microcore.v1.PublishRequest'),
      });
      await idle();
      expect(got('log')).toHaveLength(1);
      const env = got('log')[0]!;
      expect(env).toMatchObject({ id, source: 'shop/orders', parentId: '', payload: forged });
      expect(env.traceId).not.toBe(forged.traceId);
      expect(nodeOf(id)).toMatchObject({ source: 'shop/orders', kind: 'event', name: 'order.created' });
    });
  });

  describe('bus retries and dead letters', () => {
    it('retries an always-failing subscriber maxRetries times, then dead-letters the event to _dlq.<topic>', async () => {
      await boot([
        PUBLISHER,
        busPlugin('jobs/failing', `await bus.subscribe({ topic: 'job.run', maxRetries: 2, handler: (env) => { record('failing', env); record('failingAt', performance.now()); throw new Error('always broken'); } });`),
        busPlugin('jobs/dead', `await bus.subscribe({ topic: '_dlq.job.run', handler: (env) => record('dlq', env) });`),
      ]);
      const { id } = await busOf('shop/orders').publish({ topic: 'job.run', payload: { n: 7n } });
      await idle();
      expect(got('failing').map((e) => [e.id, e.attempt])).toEqual([
        [id, 1],
        [id, 2],
        [id, 3],
      ]);
      // Backoff 5 ms then 10 ms (BUS_RETRY_BASE_MS=5); a timer may fire a hair early.
      const at = got<number>('failingAt');
      expect(at[2]! - at[0]!).toBeGreaterThanOrEqual(13);

      expect(got('dlq')).toHaveLength(1);
      const dead = got('dlq')[0]!;
      const original = got('failing')[0]!;
      expect(dead).toMatchObject({ topic: '_dlq.job.run', source: 'tool/bus', parentId: id, traceId: original.traceId, attempt: 1 });
      const payload = dead.payload as { subscriber: string; attempts: bigint; error: { code: string; message: string }; event: { id: string; topic: string; payload: unknown; source: string } };
      expect(payload.subscriber).toBe('jobs/failing');
      expect(payload.attempts).toBe(3n);
      expect(payload.error.code).toBe('MC_ERR_HANDLER_FAILED');
      expect(payload.error.message).toContain('always broken');
      expect(payload.event).toMatchObject({ id, topic: 'job.run', payload: { n: 7n }, source: 'shop/orders' });

      expect(nodeOf(dead.id)).toMatchObject({ kind: 'event', name: '_dlq.job.run', parentId: id, traceId: original.traceId, source: 'tool/bus' });
      expect(nodeOf(id)!.reactions).toEqual([{ identity: 'jobs/failing', ok: false, code: 'MC_ERR_HANDLER_FAILED', attempts: 3, ms: expect.any(Number) }]);
    });

    it('does not dead-letter a subscriber that fails once, then succeeds', async () => {
      await boot([
        PUBLISHER,
        busPlugin('jobs/flaky', `await bus.subscribe({ topic: 'job.flaky', maxRetries: 2, handler: (env) => { record('flaky', env); if (env.attempt === 1) throw new Error('first try fails'); } });`),
        busPlugin('jobs/dead', `await bus.subscribe({ topic: '_dlq.job.flaky', handler: (env) => record('dlq', env) });`),
      ]);
      const { id } = await busOf('shop/orders').publish({ topic: 'job.flaky', payload: {} });
      await idle();
      expect(got('flaky').map((e) => e.attempt)).toEqual([1, 2]);
      expect(got('dlq')).toEqual([]);
      expect(project!.kernel.tracer.list().filter((n) => n.name === '_dlq.job.flaky')).toEqual([]);
      expect(nodeOf(id)!.reactions).toEqual([{ identity: 'jobs/flaky', ok: true, attempts: 2, ms: expect.any(Number) }]);
    });

    it('drops a subscriber after 3 events in a row are dead-lettered, announcing it on system.subscriber.dropped', async () => {
      await boot([
        PUBLISHER,
        busPlugin('jobs/failing', `await bus.subscribe({ topic: 'job.run', maxRetries: 1, handler: (env) => { record('failing', env); if (!env.payload.ok) throw new Error('broken'); } });`),
        busPlugin('jobs/healthy', `await bus.subscribe({ topic: 'job.run', handler: (env) => record('healthy', env) });`),
        busPlugin('ops/watch', `await bus.subscribe({ topic: 'system.subscriber.dropped', handler: (env) => record('dropped', env) });`),
      ]);
      const failingSub = () => project!.kernel.subscriptions.list().find((s) => s.topic === 'job.run' && s.owner === 'jobs/failing');
      const subId = failingSub()!.id;
      const published: string[] = [];
      // A success in between restarts the count: fail, fail, ok, fail, fail keeps it; one more drops it.
      for (const [n, ok] of [false, false, true, false, false, false].entries()) {
        published.push((await busOf('shop/orders').publish({ topic: 'job.run', payload: { n, ok } })).id);
        await idle();
        if (n < 5) expect(failingSub(), `still subscribed after event ${n}`).toBeDefined();
      }
      expect(got('failing')).toHaveLength(11);
      expect(failingSub()).toBeUndefined();
      expect(project!.kernel.subscriptions.get(subId)).toBeUndefined();

      expect(got('dropped')).toHaveLength(1);
      const dropped = got('dropped')[0]!;
      expect(dropped).toMatchObject({ topic: 'system.subscriber.dropped', source: 'tool/bus', parentId: published[5] });
      const payload = dropped.payload as Record<string, string>;
      expect(payload).toMatchObject({ subscriptionId: subId, subscriber: 'jobs/failing', topic: 'job.run', group: 'jobs/failing' });
      expect(payload.reason).toBe('3 events in a row failed every attempt; last: MC_ERR_HANDLER_FAILED');

      const { id: later } = await busOf('shop/orders').publish({ topic: 'job.run', payload: { n: 6, ok: true } });
      await idle();
      expect(got('failing')).toHaveLength(11);
      expect(ids(got('healthy'))).toEqual([...published, later].sort());
    });

    it('keeps a throwing subscriber from affecting another plugin subscribed to the same topic', async () => {
      await boot([
        PUBLISHER,
        busPlugin('jobs/bad', `await bus.subscribe({ topic: 'job.run', maxRetries: 1, handler: () => { throw new Error('bad'); } });`),
        busPlugin('jobs/good', `await bus.subscribe({ topic: 'job.run', handler: (env) => record('good', env) });`),
      ]);
      const published: string[] = [];
      for (let n = 0; n < 6; n++) published.push((await busOf('shop/orders').publish({ topic: 'job.run', payload: { n }, key: n % 2 ? 'odd' : '' })).id);
      await idle();
      expect(ids(got('good'))).toEqual([...published].sort());
      expect(got('good').every((e) => e.attempt === 1)).toBe(true);
      expect(got('good').filter((e) => e.key === 'odd').map((e) => (e.payload as { n: bigint }).n)).toEqual([1n, 3n, 5n]);
      for (const id of published) expect(nodeOf(id)!.reactions.find((r) => r.identity === 'jobs/good')).toMatchObject({ ok: true, attempts: 1 });
    });
  });

  describe('bus consumer groups and broadcast', () => {
    it('shares events within an explicit group, gives each default group all, and each broadcast subscription all', async () => {
      const sub = (identity: string, options: string) => busPlugin(identity, `await bus.subscribe({ topic: 'job.created', ${options} handler: (env) => record('${identity}', env) });`);
      await boot([PUBLISHER, sub('work/a', `group: 'workers',`), sub('work/b', `group: 'workers',`), sub('work/c', ''), sub('work/d', ''), sub('work/e', `group: 'workers', broadcast: true,`)]);
      const published: string[] = [];
      for (let n = 0; n < 10; n++) published.push((await busOf('shop/orders').publish({ topic: 'job.created', payload: { n } })).id);
      await idle();
      const all = [...published].sort();
      const a = ids(got('work/a'));
      const b = ids(got('work/b'));
      expect(a.length).toBeGreaterThan(0);
      expect(b.length).toBeGreaterThan(0);
      expect(a.filter((id) => b.includes(id))).toEqual([]);
      expect([...a, ...b].sort()).toEqual(all);
      expect(ids(got('work/c'))).toEqual(all);
      expect(ids(got('work/d'))).toEqual(all);
      expect(ids(got('work/e'))).toEqual(all);
    });
  });


  describe('bus loses nothing (issue 4): every accepted event ends delivered or dead-lettered', () => {
    inProcessOnly('issue 4: a consumer group whose handler always fails, sent 20 events: 3 dead-lettered as failed, the 17 queued behind them when it is dropped', "the events a dropped group had left wait on the server for the group's next member, in any kernel", async () => {
      await boot([
        PUBLISHER,
        busPlugin('jobs/failing', `await bus.subscribe({ topic: 'job.run', group: 'workers', maxRetries: 1, handler: (env) => { record('failing', env); throw new Error('always broken'); } });`),
        busPlugin('jobs/dead', `await bus.subscribe({ topic: '_dlq.job.run', handler: (env) => record('dlq', env) });`),
      ]);
      const published: string[] = [];
      for (let n = 0; n < 20; n++) published.push((await busOf('shop/orders').publish({ topic: 'job.run', payload: { n } })).id);
      await idle();
      expect(project!.kernel.subscriptions.list().filter((s) => s.topic === 'job.run')).toEqual([]);
      const dead = got('dlq').map((e) => e.payload as unknown as DeadLetter);
      // Each event exactly once, in publish order.
      expect(dead.map((d) => d.event.id)).toEqual(published);
      expect(dead.slice(0, 3).map((d) => [d.error.code, d.attempts])).toEqual(Array(3).fill(['MC_ERR_HANDLER_FAILED', 2n]));
      expect(dead.slice(3).map((d) => [d.error.code, d.attempts, d.subscriber])).toEqual(Array(17).fill(['MC_ERR_BUS_NO_SUBSCRIBER', 0n, 'jobs/failing']));
      expect(dead[3]!.error.message).toContain("jobs/failing's subscription to 'job.run' ended with 17 event(s) still to deliver, and no other member of group 'workers' is subscribed");
      // 3 events × 2 attempts reached the handler; the other 17 never did.
      expect(got('failing')).toHaveLength(6);
      expect(busTool().counts()).toEqual({ delivered: 20, deadLettered: 20 });
    });

    it('issue 4: a group of two whose one member is dropped: the events queued for it go to the other', async () => {
      await boot([
        PUBLISHER,
        busPlugin('jobs/failing', `await bus.subscribe({ topic: 'job.run', group: 'workers', maxRetries: 1, handler: (env) => { record('failing', env); throw new Error('always broken'); } });`),
        busPlugin('jobs/healthy', `await bus.subscribe({ topic: 'job.run', group: 'workers', handler: async (env) => { await new Promise((r) => setTimeout(r, 1)); record('healthy', env); } });`),
        busPlugin('jobs/dead', `await bus.subscribe({ topic: '_dlq.job.run', handler: (env) => record('dlq', env) });`),
      ]);
      const published: string[] = [];
      for (let n = 0; n < 20; n++) published.push((await busOf('shop/orders').publish({ topic: 'job.run', payload: { n } })).id);
      await idle();
      const failed = got('dlq').map((e) => (e.payload as unknown as DeadLetter).event.id);
      const delivered = got('healthy').map((e) => e.id);
      // Each event exactly once, delivered or dead-lettered.
      expect([...failed, ...delivered].sort()).toEqual([...published].sort());
      expect(got('dlq').every((e) => (e.payload as unknown as DeadLetter).error.code === 'MC_ERR_HANDLER_FAILED')).toBe(true);
      if (driver.nats) {
        // A failed event goes back to the group, so its retry may reach the healthy member: fewer (maybe no) dead letters.
        expect(failed.length).toBeLessThanOrEqual(3);
        return;
      }
      // Round-robin gave each member 10; the failing one killed 3 and was dropped.
      expect(failed).toHaveLength(3);
      expect(delivered).toHaveLength(17);
      expect(got('healthy').every((e) => e.attempt === 1)).toBe(true);
    });

    inProcessOnly('issue 4: at shutdown, the events still queued are dead-lettered (logged and counted), none dropped unseen', 'events not yet taken stay on the server for the next kernel', async () => {
      await boot([PUBLISHER, busPlugin('jobs/slow', `await bus.subscribe({ topic: 'job.run', handler: async (env) => { await new Promise((r) => setTimeout(r, 5)); record('slow', env); } });`)]);
      for (let n = 0; n < 20; n++) await busOf('shop/orders').publish({ topic: 'job.run', payload: { n } });
      const bus = busTool();
      const stopping = project!;
      project = undefined;
      await stopping.stop();
      const delivered = got('slow').length;
      expect(delivered).toBeLessThan(20);
      expect(bus.counts()).toEqual({ delivered, deadLettered: 20 - delivered });
    });
  });

  describe('bus ownership', () => {
    it('lets only the owner remove a subscription; after removal nothing is delivered', async () => {
      await boot([PUBLISHER, AUDIT]);
      const subscriptionId = shared.__subs!['audit/log']!;
      await expect(busOf('shop/orders').unsubscribe({ subscriptionId })).rejects.toMatchObject({
        code: 'MC_ERR_INVALID_ARGUMENT',
        message: expect.stringContaining(`shop/orders tried to remove subscription ${subscriptionId}, which belongs to audit/log`),
      });
      expect(project!.kernel.subscriptions.get(subscriptionId)).toMatchObject({ owner: 'audit/log', topic: 'order.created' });
      await busOf('shop/orders').publish({ topic: 'order.created', payload: 1 });
      await idle();
      expect(got('log')).toHaveLength(1);

      await expect(busOf('audit/log').unsubscribe({ subscriptionId })).resolves.toEqual({});
      expect(project!.kernel.subscriptions.get(subscriptionId)).toBeUndefined();
      await busOf('shop/orders').publish({ topic: 'order.created', payload: 2 });
      await idle();
      expect(got('log')).toHaveLength(1);
    });
  });

  describe('bus causality', () => {
    it('links an HTTP request, the event its handler publishes and the event that one causes, in one trace', async () => {
      await boot(
        [
          busPlugin('orders/api', `await http.addEndpoint({ method: 'POST', path: '/orders', handler: async () => ({ id: (await bus.publish({ topic: 'a.happened', payload: { n: 1 } })).id }) });`, ['bus', 'http']),
          busPlugin('orders/react-a', `await bus.subscribe({ topic: 'a.happened', handler: async (env) => { record('a', env); await bus.publish({ topic: 'b.happened', payload: {} }); } });`),
          busPlugin('orders/react-b', `await bus.subscribe({ topic: 'b.happened', handler: (env) => record('b', env) });`),
        ],
        ['logger', 'bus', 'bus-nats', 'http'],
      );
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const res = await fetch(`${project!.url}/orders`, { method: 'POST', headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
      expect(res.status).toBe(200);
      const requestId = res.headers.get('x-request-id')!;
      expect(requestId).toMatch(UUID);
      const { id: aId } = (await res.json()) as { id: string };
      await idle();

      const nodes = project!.kernel.tracer.list(traceId);
      expect(nodes).toHaveLength(3);
      const http = nodes.find((n) => n.kind === 'http')!;
      const a = nodes.find((n) => n.name === 'a.happened')!;
      const b = nodes.find((n) => n.name === 'b.happened')!;
      expect(http).toMatchObject({ id: requestId, parentId: '', traceId, name: 'POST /orders', source: 'orders/api' });
      expect(a).toMatchObject({ id: aId, kind: 'event', parentId: requestId, traceId, source: 'orders/api' });
      expect(b).toMatchObject({ kind: 'event', parentId: aId, traceId, source: 'orders/react-a' });
      expect(a.reactions).toEqual([{ identity: 'orders/react-a', ok: true, attempts: 1, ms: expect.any(Number) }]);
      expect(b.reactions).toEqual([{ identity: 'orders/react-b', ok: true, attempts: 1, ms: expect.any(Number) }]);
      expect(got('a')[0]).toMatchObject({ id: aId, traceId, parentId: requestId });
      expect(got('b')[0]).toMatchObject({ id: b.id, traceId, parentId: aId });
    });
  });

  describe('bus with one identity (testTools)', () => {
    let t: TestTools | undefined;
    const open = async () => (t = await testTools({ identity: 'shop/pricing', env: current.env() }));
    afterEach(async () => {
      await t?.close();
      t = undefined;
    });

    it('issue 5: hands a subscription its unkeyed events one at a time, in publish order, whatever each handler takes', async () => {
      const { tools } = await open();
      const seen: bigint[] = [];
      let running = 0;
      let most = 0;
      await tools.bus.subscribe({
        topic: 'seq.u',
        handler: async (env) => {
          most = Math.max(most, ++running);
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
          seen.push((env.payload as { n: bigint }).n);
          running--;
        },
      });
      for (let n = 0; n < 20; n++) await tools.bus.publish({ topic: 'seq.u', payload: { n } });
      await t!.settle();
      expect(seen).toEqual(Array.from({ length: 20 }, (_, n) => BigInt(n)));
      expect(most).toBe(1);
    });

    it('delivers events with the same key in publish order, whatever each handler takes', async () => {
      const { tools } = await open();
      const keyed: bigint[] = [];
      const other: string[] = [];
      const pause = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      await tools.bus.subscribe({ topic: 'seq.k', handler: async (env) => { await pause(); keyed.push((env.payload as { n: bigint }).n); } });
      await tools.bus.subscribe({ topic: 'seq.mixed', handler: async (env) => { await pause(); other.push(env.key); } });
      for (let n = 0; n < 20; n++) await tools.bus.publish({ topic: 'seq.k', payload: { n }, key: 'k' });
      for (let n = 0; n < 10; n++) await tools.bus.publish({ topic: 'seq.mixed', payload: { n }, key: `k${n % 3}` });
      await t!.settle();
      expect(keyed).toEqual(Array.from({ length: 20 }, (_, n) => BigInt(n)));
      // Different keys may interleave: only the count is promised.
      expect(other.sort()).toEqual(['k0', 'k0', 'k0', 'k0', 'k1', 'k1', 'k1', 'k2', 'k2', 'k2']);
    });

    inProcessOnly('carries an event, a request and a reply of 2 MiB', "nats-server refuses a message past its max_payload (1 MiB unless configured): MC_ERR_MESSAGE_TOO_LARGE (tools/bus-nats/kernels.test.ts)", async () => {
      const { tools } = await open();
      const big = 'x'.repeat(2 * 1024 * 1024);
      const seen: string[] = [];
      await tools.bus.subscribe({ topic: 'big.event', handler: (env) => void seen.push(env.payload as string) });
      await tools.bus.subscribe({ topic: 'big.echo', handler: (env) => env.payload });
      await tools.bus.publish({ topic: 'big.event', payload: big });
      await t!.settle();
      expect(seen.map((p) => p.length)).toEqual([big.length]);
      const reply = await tools.bus.request({ topic: 'big.echo', payload: big, timeoutMs: 5000 });
      expect((reply.payload as string).length).toBe(big.length);
    });

    it('answers a request with the handler return value, exactly', async () => {
      const { tools } = await open();
      await tools.bus.subscribe({ topic: 'price.quote', handler: (env) => ({ total: 9007199254740993n, currency: 'EUR', sku: (env.payload as { sku: string }).sku, from: env.source, blob: new Uint8Array([9, 8]), none: null, rate: 0.2 }) });
      const reply = await tools.bus.request({ topic: 'price.quote', payload: { sku: 'sku-1' }, timeoutMs: 1000 });
      expect(reply).toEqual({ payload: { total: 9007199254740993n, currency: 'EUR', sku: 'sku-1', from: 'shop/pricing', blob: new Uint8Array([9, 8]), none: null, rate: 0.2 } });
      const node = t!.tracer.list().find((n) => n.kind === 'request')!;
      expect(node).toMatchObject({ name: 'price.quote', ok: true, reactions: [{ identity: 'shop/pricing', ok: true, attempts: 1 }] });
    });

    it('fails a request nobody subscribes to, one nobody answers in time, and one whose handler throws', async () => {
      const { tools } = await open();
      await expect(tools.bus.request({ topic: 'nobody.home', payload: null })).rejects.toMatchObject({ code: 'MC_ERR_BUS_NO_SUBSCRIBER', message: expect.stringContaining("'nobody.home'") });

      await tools.bus.subscribe({ topic: 'never.answers', handler: () => new Promise(() => {}) });
      const started = performance.now();
      await expect(tools.bus.request({ topic: 'never.answers', payload: null, timeoutMs: 100 })).rejects.toMatchObject({
        code: 'MC_ERR_BUS_TIMEOUT',
        message: expect.stringContaining("requested 'never.answers'; shop/pricing did not answer within 100 ms"),
        details: { topic: 'never.answers', subscriber: 'shop/pricing' },
      });
      const waited = performance.now() - started;
      expect(waited).toBeGreaterThanOrEqual(95);
      expect(waited).toBeLessThan(2_000);
      expect(t!.tracer.list().find((n) => n.name === 'never.answers')).toMatchObject({ kind: 'request', ok: false, code: 'MC_ERR_BUS_TIMEOUT' });

      await tools.bus.subscribe({ topic: 'item.find', handler: () => { throw mcError('MC_ERR_NOT_FOUND', 'no item 7', { id: '7' }); } });
      await expect(tools.bus.request({ topic: 'item.find', payload: { id: 7 } })).rejects.toMatchObject({ code: 'MC_ERR_NOT_FOUND', message: expect.stringContaining('no item 7'), details: { id: '7' } });
    });

    it('shuts down cleanly while a subscriber is still retrying: no more attempts, no published dead letter, no unhandled rejection', async () => {
      const { tools } = await open();
      const attempts: number[] = [];
      const rejections: unknown[] = [];
      const onRejection = (reason: unknown) => rejections.push(reason);
      process.on('unhandledRejection', onRejection);
      try {
        await tools.bus.subscribe({ topic: 'job.run', maxRetries: 5, handler: (env) => { attempts.push(env.attempt); throw new Error('down'); } });
        await tools.bus.publish({ topic: 'job.run' });
        await new Promise((resolve) => setTimeout(resolve, 8));
        await t!.close();
        t = undefined;
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(attempts.length).toBeGreaterThanOrEqual(1);
        expect(attempts.length).toBeLessThan(6);
        expect(rejections).toEqual([]);
      } finally {
        process.off('unhandledRejection', onRejection);
      }
    });

    it('refuses to publish on an invalid topic, and after the bus shut down', async () => {
      const { tools } = await open();
      for (const topic of ['bad topic!', '', 'a..b']) {
        await expect(tools.bus.publish({ topic, payload: null }), JSON.stringify(topic)).rejects.toMatchObject({ code: 'MC_ERR_BUS_PUBLISH', details: { topic } });
      }
      await expect(tools.bus.publish({ topic: 'ok.topic' })).resolves.toEqual({ id: expect.stringMatching(UUID) });
      const closing = t!;
      t = undefined;
      await closing.close();
      await expect(tools.bus.publish({ topic: 'ok.topic', payload: null })).rejects.toMatchObject({ code: 'MC_ERR_TOOL_UNAVAILABLE', message: expect.stringContaining("shop/pricing published 'ok.topic' after the bus shut down") });
    });
  });

  describe('bus health is the bus', () => {
    it('does not mark the bus dead for replies a handler got wrong, however many', async () => {
      const t = await testTools({ identity: 'shop/pricing', env: current.env() });
      try {
        await t.tools.bus.subscribe({ topic: 'price.get', handler: () => ({ at: new Date() }) as never });
        for (let i = 0; i < 6; i++) {
          await expect(t.tools.bus.request({ topic: 'price.get' })).rejects.toMatchObject({ code: 'MC_ERR_VALUE_UNSUPPORTED' });
        }
        await t.tools.bus.subscribe({ topic: 'price.fail', handler: () => { throw mcError('MC_ERR_INTERNAL', 'the handler broke'); } });
        for (let i = 0; i < 6; i++) await expect(t.tools.bus.request({ topic: 'price.fail' })).rejects.toMatchObject({ code: 'MC_ERR_INTERNAL' });
        expect(t.metrics.totals().find((m) => m.tool === 'bus' && m.method === 'request')!.errors).toBe(12);
        // The handlers' mistakes are theirs: the bus stays ready.
        expect((await t.tools.system.status()).items.find((i) => i.name === 'bus')!.status).toBe('ready');
      } finally {
        await t.close();
      }
    });
  });
});
