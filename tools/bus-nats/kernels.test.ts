// The NATS bus across kernels sharing one NATS_PREFIX on the real nats-server
// (test/services.ts): two kernels in this process, and one in a child process
// killed with SIGKILL while it holds an event. What every bus driver must do
// for one kernel is tools/bus/tool.test.ts, which runs on this driver too.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runInTrace, type Plain, type Tools } from '../../kernel/index.ts';
import { testTools } from '../../kernel/testing.ts';
import type { Envelope } from '../../proto/gen/microcore/v1/bus_pb.js';
import { bootProject, plugin, REAL_TOOLS, REPO, writeProject, type TestProject } from '../../test/project.ts';
import { natsPrefix, servicesFromEnv } from '../../test/services.ts';
import { encodeEnvelope } from './codec.ts';
import { Ledger } from './ledger.ts';
import { groupConsumer } from './streams.ts';

type Env = Plain<Envelope>;
interface Shared {
  __got?: Record<string, unknown[]>;
  __buses?: Record<string, Tools['bus']>;
}
const shared = globalThis as unknown as Shared;
/** What `identity`'s handler recorded in `kernel` under `name`. */
const got = <T = Env>(kernel: string, name: string): T[] => (shared.__got?.[`${kernel}:${name}`] ?? []) as T[];
const ids = (list: Env[]) => list.map((e) => e.id).sort();

/** A native plugin of `kernel` whose onBoot runs with `bus`, `record(name, value)` and node:fs's appendFileSync/writeFileSync in scope. */
function busPlugin(kernel: string, identity: string, onBoot = ''): Record<string, string> {
  const [domain, name] = identity.split('/') as [string, string];
  const cls = name.split('-').map((s) => s[0]!.toUpperCase() + s.slice(1)).join('') + 'Plugin';
  return {
    [`domains/${domain}/plugins/${name}.ts`]: plugin(`
      import { appendFileSync, writeFileSync } from 'node:fs';
      const record = (name, value) => { ((globalThis.__got ??= {})['${kernel}:' + name] ??= []).push(value); };
      export class ${cls} {
        constructor({ bus }) { this.bus = bus; (globalThis.__buses ??= {})['${kernel}:${identity}'] = bus; }
        async onBoot() { const { bus } = this; void record; void appendFileSync; void writeFileSync; ${onBoot} }
      }`),
  };
}

let prefix = '';
const kernels: TestProject[] = [];
const settings = () => ({ BUS_DRIVER: 'nats', NATS_URL: servicesFromEnv().natsUrl, NATS_PREFIX: prefix, BUS_RETRY_BASE_MS: '5', BUS_NATS_ACK_WAIT_MS: '1000' });
async function boot(kernel: string, plugins: Record<string, string>[]): Promise<TestProject> {
  const project = await bootProject(Object.assign({}, ...plugins), { tools: ['logger', 'bus', 'bus-nats'], env: settings() });
  kernels.push(project);
  for (const item of project.report) expect(item.status, `${kernel} ${item.name}: ${item.reason}`).toBe('ready');
  return project;
}
const busOf = (kernel: string, identity: string) => shared.__buses![`${kernel}:${identity}`]!;
const idle = (...projects: TestProject[]) => Promise.all(projects.map((p) => (p.kernel.getTool('bus') as { idle(): Promise<void> }).idle()));

async function until(what: string, done: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeEach(() => {
  prefix = natsPrefix();
  shared.__got = {};
  shared.__buses = {};
});
afterEach(async () => {
  for (const k of kernels.splice(0)) await k.stop();
});

const PUBLISHER = (kernel: string) => busPlugin(kernel, 'shop/orders');

describe('the NATS bus across kernels', () => {
  it('gives each event to one member of a consumer group across kernels, and to every broadcast subscription in each, continuing its trace', async () => {
    const member = (k: string) => busPlugin(k, 'work/a', `await bus.subscribe({ topic: 'job.created', handler: async (env) => { await new Promise((r) => setTimeout(r, 2)); record('a', env); } });`);
    const watcher = (k: string) => busPlugin(k, 'watch/all', `await bus.subscribe({ topic: 'job.created', broadcast: true, handler: (env) => record('all', env) });`);
    const k1 = await boot('k1', [PUBLISHER('k1'), member('k1'), watcher('k1')]);
    const k2 = await boot('k2', [member('k2'), watcher('k2')]);
    const traceId = 'cd'.repeat(16);
    const published: string[] = [];
    for (let n = 0; n < 40; n++) published.push((await runInTrace({ traceId, spanId: '1'.repeat(16), eventId: 'http-1' }, () => busOf('k1', 'shop/orders').publish({ topic: 'job.created', payload: { n: BigInt(n) } }))).id);
    await idle(k1, k2);
    const all = [...published].sort();

    const a1 = ids(got('k1', 'a'));
    const a2 = ids(got('k2', 'a'));
    expect(a1.filter((id) => a2.includes(id)), 'no event handled by both kernels').toEqual([]);
    expect([...a1, ...a2].sort()).toEqual(all);
    expect(a1.length, 'kernel 1 took some').toBeGreaterThan(0);
    expect(a2.length, 'kernel 2 took some').toBeGreaterThan(0);
    // Every broadcast subscription, in either kernel, gets them all in publish order (one publisher here).
    expect(got('k1', 'all').map((e) => e.id)).toEqual(published);
    expect(got('k2', 'all').map((e) => e.id)).toEqual(published);

    // Kernel 2 did not publish: its node for the event continues kernel 1's trace.
    const taken = got('k2', 'a')[0]!;
    expect(taken).toMatchObject({ traceId, parentId: 'http-1', source: 'shop/orders', attempt: 1 });
    const node = k2.kernel.tracer.list(traceId).find((n) => n.id === taken.id);
    expect(node).toMatchObject({ kind: 'event', name: 'job.created', parentId: 'http-1', source: 'shop/orders' });
    expect(node!.reactions.map((r) => r.identity).sort()).toEqual(['watch/all', 'work/a']);
  });

  it('answers a request in another kernel; no kernel listening is no subscriber, one that never answers a timeout', async () => {
    await boot('k2', [
      busPlugin('k2', 'price/quote', `await bus.subscribe({ topic: 'price.get', handler: (env) => ({ total: 9007199254740993n, sku: env.payload.sku, from: env.source, blob: new Uint8Array([1, 2]) }) });`),
      busPlugin('k2', 'slow/never', `await bus.subscribe({ topic: 'never.answers', handler: () => new Promise(() => {}) });`),
    ]);
    const k1 = await boot('k1', [PUBLISHER('k1')]);
    const bus = busOf('k1', 'shop/orders');
    expect(await bus.request({ topic: 'price.get', payload: { sku: 's-1' } })).toEqual({ payload: { total: 9007199254740993n, sku: 's-1', from: 'shop/orders', blob: new Uint8Array([1, 2]) } });
    expect(k1.kernel.tracer.list().find((n) => n.kind === 'request')).toMatchObject({ name: 'price.get', ok: true, reactions: [{ identity: 'price/quote', ok: true, attempts: 1 }] });

    await expect(bus.request({ topic: 'nobody.home' })).rejects.toMatchObject({ code: 'MC_ERR_BUS_NO_SUBSCRIBER', message: expect.stringContaining("shop/orders requested 'nobody.home', which no plugin subscribes to") });
    await expect(bus.request({ topic: 'never.answers', timeoutMs: 200 })).rejects.toMatchObject({ code: 'MC_ERR_BUS_TIMEOUT', message: expect.stringContaining("did not answer within 200 ms"), details: { topic: 'never.answers' } });
  });

  it('dead-letters an event after its last retry in one kernel to a dead-letter subscriber in another', async () => {
    const k2 = await boot('k2', [busPlugin('k2', 'jobs/failing', `await bus.subscribe({ topic: 'job.run', maxRetries: 1, handler: (env) => { record('failing', env); throw new Error('always broken'); } });`)]);
    const k1 = await boot('k1', [PUBLISHER('k1'), busPlugin('k1', 'jobs/dead', `await bus.subscribe({ topic: '_dlq.job.run', handler: (env) => record('dlq', env) });`)]);
    const { id } = await busOf('k1', 'shop/orders').publish({ topic: 'job.run', payload: { n: 1n } });
    await until('the dead letter', () => got('k1', 'dlq').length > 0);
    await idle(k1, k2);
    expect(got('k2', 'failing').map((e) => e.attempt)).toEqual([1, 2]);
    expect(got('k1', 'dlq')).toHaveLength(1);
    const dead = got('k1', 'dlq')[0]!;
    expect(dead).toMatchObject({ topic: '_dlq.job.run', source: 'tool/bus', parentId: id });
    expect(dead.payload).toMatchObject({ subscriber: 'jobs/failing', attempts: 2n, error: { code: 'MC_ERR_HANDLER_FAILED' }, event: { id, payload: { n: 1n } } });
    expect((k2.kernel.getTool('bus') as { counts(): unknown }).counts()).toEqual({ delivered: 0, deadLettered: 1 });
  });

  it("keeps a group's events on the server while no member is subscribed, for the next member in any kernel", async () => {
    const k1 = await boot('k1', [PUBLISHER('k1'), busPlugin('k1', 'work/a', `globalThis.__subA = (await bus.subscribe({ topic: 'job.run', group: 'workers', handler: (env) => record('a', env) })).subscriptionId;`)]);
    await busOf('k1', 'work/a').unsubscribe({ subscriptionId: (globalThis as unknown as { __subA: string }).__subA });
    const published: string[] = [];
    for (let n = 0; n < 3; n++) published.push((await busOf('k1', 'shop/orders').publish({ topic: 'job.run', payload: { n } })).id);
    const k2 = await boot('k2', [busPlugin('k2', 'work/b', `await bus.subscribe({ topic: 'job.run', group: 'workers', handler: (env) => record('b', env) });`)]);
    await idle(k1, k2);
    expect(got('k1', 'a')).toEqual([]);
    expect(got('k2', 'b').map((e) => e.id)).toEqual(published);
  });

  it('lets a handler run past BUS_NATS_ACK_WAIT_MS without its event going to another member', async () => {
    const slow = (k: string) => busPlugin(k, 'work/slow', `await bus.subscribe({ topic: 'job.long', group: 'workers', handler: async (env) => { record('took', env); await new Promise((r) => setTimeout(r, 2500)); } });`);
    const k1 = await boot('k1', [PUBLISHER('k1'), slow('k1')]);
    const k2 = await boot('k2', [slow('k2')]);
    const { id } = await busOf('k1', 'shop/orders').publish({ topic: 'job.long' });
    await idle(k1, k2);
    expect([...got('k1', 'took'), ...got('k2', 'took')].map((e) => [e.id, e.attempt])).toEqual([[id, 1]]);
  });

  it('holds no queue of events behind a slow handler past the ack wait: each handled once, at its first attempt', async () => {
    // 300 ms a handler, 1 s ack wait: a batch of 16 taken at once would leave the later ones waiting past it.
    const k1 = await boot('k1', [PUBLISHER('k1'), busPlugin('k1', 'work/steady', `await bus.subscribe({ topic: 'job.steady', group: 'workers', handler: async (env) => { record('took', env); await new Promise((r) => setTimeout(r, 300)); } });`)]);
    const ids: string[] = [];
    for (let n = 0; n < 6; n++) ids.push((await busOf('k1', 'shop/orders').publish({ topic: 'job.steady', payload: { n: BigInt(n) } })).id);
    await until('six events handled', () => got('k1', 'took').length >= 6);
    await idle(k1);
    expect(got('k1', 'took').map((e) => [e.id, e.attempt])).toEqual(ids.map((id) => [id, 1]));
  });

  it("does not hand a group an event again that a member in another kernel handled before its ack was lost (the group's ledger)", async () => {
    // The member here fails its first attempt, and while it does, the ledger learns a
    // member elsewhere handled the event — what a kernel that died between its handler
    // and its ack leaves behind. The redelivery (attempt 2) must not reach a handler.
    const k1 = await boot('k1', [
      PUBLISHER('k1'),
      busPlugin('k1', 'work/once', `await bus.subscribe({ topic: 'job.once', group: 'workers', handler: async (env) => {
        record('took', env);
        if (env.attempt === 1) { while (!globalThis.__ledgered) await new Promise((r) => setTimeout(r, 5)); throw new Error('first try fails'); }
      } });`),
    ]);
    const { id } = await busOf('k1', 'shop/orders').publish({ topic: 'job.once' });
    await until('the first attempt', () => got('k1', 'took').length === 1);
    const nc = await connect({ servers: servicesFromEnv().natsUrl });
    try {
      await (await Ledger.open(nc, prefix, 1000)).of(groupConsumer({ prefix, ackWaitMs: 1000 }, 'job.once', 'workers').durable_name).record(id);
    } finally {
      await nc.close();
    }
    (globalThis as { __ledgered?: boolean }).__ledgered = true;
    try {
      await new Promise((r) => setTimeout(r, 300)); // past the retry's backoff
      await idle(k1);
      expect(got('k1', 'took').map((e) => [e.id, e.attempt])).toEqual([[id, 1]]);
    } finally {
      delete (globalThis as { __ledgered?: boolean }).__ledgered;
    }
  });

  it('stores a retried publish once (Nats-Msg-Id), and hands a subscription an event stored twice once, by envelope id', async () => {
    const k1 = await boot('k1', [busPlugin('k1', 'audit/log', `await bus.subscribe({ topic: 'order.created', handler: (env) => record('log', env) });`)]);
    const env: Env = { id: 'dup-1', topic: 'order.created', payload: { n: 1n }, traceId: 'ab'.repeat(16), parentId: '', source: 'shop/orders', timeUnixMs: BigInt(Date.now()), key: '', attempt: 1 };
    const nc = await connect({ servers: servicesFromEnv().natsUrl });
    try {
      const js = jetstream(nc);
      // A publish retried with the same Nats-Msg-Id (the bus uses the envelope id) is stored once.
      expect((await js.publish(`${prefix}.ev.order.created`, encodeEnvelope(env), { msgID: env.id })).duplicate).toBe(false);
      expect((await js.publish(`${prefix}.ev.order.created`, encodeEnvelope(env), { msgID: env.id })).duplicate).toBe(true);
      // Another message id, as after the duplicate window: only the subscriber's seen-set can catch it.
      await js.publish(`${prefix}.ev.order.created`, encodeEnvelope(env), { msgID: 'later' });
    } finally {
      await nc.close();
    }
    await idle(k1);
    expect(got('k1', 'log').map((e) => e.id)).toEqual(['dup-1']);
  });

  it("refuses an event, a request and a reply past the server's max_payload as MC_ERR_MESSAGE_TOO_LARGE, naming it", async () => {
    const t = await testTools({ identity: 'shop/files', env: settings() });
    try {
      const max = 1024 * 1024; // nats-server's default, which the test server keeps
      const big = 'x'.repeat(max + 1);
      const refused = (what: string) => ({ code: 'MC_ERR_MESSAGE_TOO_LARGE', message: expect.stringContaining(`${what} is `), details: expect.objectContaining({ limit: String(max), setting: 'max_payload' }) });
      await t.tools.bus.subscribe({ topic: 'file.echo', handler: (env) => (env.payload === 'big please' ? big : env.payload) });
      await expect(t.tools.bus.publish({ topic: 'file.stored', payload: big })).rejects.toMatchObject(refused("shop/files's event on 'file.stored'"));
      await expect(t.tools.bus.request({ topic: 'file.echo', payload: big })).rejects.toMatchObject(refused("shop/files's request on 'file.echo'"));
      await expect(t.tools.bus.request({ topic: 'file.echo', payload: 'big please' })).rejects.toMatchObject({ ...refused("the reply of shop/files to 'file.echo'"), details: expect.objectContaining({ part: 'reply' }) });
      // A message within it crosses.
      expect(await t.tools.bus.request({ topic: 'file.echo', payload: 'x'.repeat(max - 4096) })).toEqual({ payload: 'x'.repeat(max - 4096) });
    } finally {
      await t.close();
    }
  });

  it('fails setup naming NATS_URL when no server answers there', async () => {
    await expect(testTools({ env: { BUS_DRIVER: 'nats', NATS_URL: 'nats://127.0.0.1:1' } })).rejects.toMatchObject({
      code: 'MC_ERR_TOOL_SETUP',
      message: expect.stringMatching(/could not use NATS at NATS_URL=nats:\/\/127\.0\.0\.1:1.*Start nats-server with JetStream/),
    });
  });
});

describe('the NATS bus when a kernel dies', () => {
  let child: ChildProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'mc-nats-kill-'));
  afterEach(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers an event a SIGKILLed kernel held unacked to a member of its group in another kernel', async () => {
    const taken = join(dir, 'taken');
    const ready = join(dir, 'ready');
    // The child's member records what it takes, then never answers (it is killed mid-handler).
    const root = writeProject(busPlugin('child', 'work/hold', `await bus.subscribe({ topic: 'job.run', group: 'workers', handler: (env) => { appendFileSync(${JSON.stringify(taken)}, env.id + '\\n'); return new Promise(() => {}); } }); writeFileSync(${JSON.stringify(ready)}, 'ready');`), REAL_TOOLS);
    let stderr = '';
    child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(REPO, 'cli/main.ts'), 'start'], {
      cwd: root,
      env: { ...process.env, ...settings(), HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_PATH: join(dir, 'app.db'), AI_CONTEXT_PATH: 'off' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await until(`the child kernel to boot (${stderr})`, () => existsSync(ready), 30_000);
      await boot('k1', [PUBLISHER('k1')]);
      const { id } = await busOf('k1', 'shop/orders').publish({ topic: 'job.run', payload: { n: 1n } });
      await until('the child to take the event', () => existsSync(taken) && readFileSync(taken, 'utf8').includes(id));
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;

      await boot('k2', [busPlugin('k2', 'work/hold', `await bus.subscribe({ topic: 'job.run', group: 'workers', handler: (env) => record('took', env) });`)]);
      // After BUS_NATS_ACK_WAIT_MS (1 s) without an ack, the server hands it out again.
      await until('kernel 2 to get the event', () => got('k2', 'took').length > 0);
      expect(got('k2', 'took').map((e) => [e.id, e.attempt])).toEqual([[id, 2]]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
