// One kernel of the cluster benchmark (bench/cluster.ts), forked with its
// settings in the environment: the users domain (GET /users/:id) and a counter
// plugin that subscribes to `bench.tick` in one consumer group, so across
// kernels each event is handled once. Every tool is the repository's, chosen by
// the settings: SQLite and the in-process bus, or PostgreSQL and NATS.
//
// IPC (bench/server-child.ts is the parent's side; its spec argument is not read here), parent → child: seed |
// publish {count} | handled | exit; child → parent: ready {port} | failed
// {reason}, seeded, published {ms}, handled {count}, each with {error} when it failed.
import { join } from 'node:path';
import type { Tools } from '../kernel/index.ts';
import { bootProject, plugin, REPO, type TestProject } from '../test/project.ts';

export const USERS = 1000;

const COUNTER = plugin(`
  export class CounterPlugin {
    constructor({ bus }) { this.bus = bus; globalThis.__benchBus = bus; globalThis.__benchHandled = 0; }
    async onBoot() { await this.bus.subscribe({ topic: 'bench.tick', group: 'bench/counters', handler: async () => { globalThis.__benchHandled++; } }); }
  }`);

// The settings that choose the drivers and name this kernel, from the parent.
const SETTINGS = ['DATABASE_URL', 'BUS_DRIVER', 'NATS_URL', 'NATS_PREFIX', 'KERNEL_ID'];
const settings = Object.fromEntries(SETTINGS.filter((k) => process.env[k]).map((k) => [k, process.env[k]!]));

const shared = globalThis as unknown as { __benchBus: Tools['bus']; __benchHandled: number };
let project: TestProject;
try {
  project = await bootProject({ 'domains/bench/plugins/counter.ts': COUNTER }, { env: { ...settings, AI_CONTEXT_PATH: 'off', LOG_LEVEL: 'silent' }, links: { 'domains/users': join(REPO, 'domains/users') } });
  const broken = project.report.filter((i) => i.status !== 'ready');
  if (broken.length) throw new Error(broken.map((i) => `${i.name}: ${i.reason}`).join('; '));
} catch (err) {
  process.send!({ type: 'failed', reason: (err as Error).message });
  process.exit(1);
}

/** The same rows on either engine, by one statement both understand. */
async function seed(): Promise<void> {
  const db = project.kernel.getTool('db') as { execute(input: { sql: string; params: unknown[] }, call: object): unknown };
  const sql = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${USERS}) INSERT INTO users (name, email) SELECT 'User Number ' || i, 'user' || i || '@example.org' FROM n`;
  await db.execute({ sql, params: [] }, { caller: 'bench/seed', traceId: '0'.repeat(32) });
}

/** Publishes `count` events, at most 256 awaiting their acknowledgement at once. */
async function publish(count: number): Promise<number> {
  const t0 = performance.now();
  const inFlight = new Set<Promise<unknown>>();
  for (let i = 0; i < count; i++) {
    const p = Promise.resolve(shared.__benchBus.publish({ topic: 'bench.tick', payload: { i: BigInt(i) } })).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= 256) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return performance.now() - t0;
}

type Request = { type: string; count?: number };
/** What each request is answered with: its answer's type, and the rest of it. */
const ANSWERS: Record<string, [string, (msg: Request) => Promise<object>]> = {
  seed: ['seeded', async () => (await seed(), {})],
  publish: ['published', async (msg) => ({ ms: await publish(msg.count!) })],
  handled: ['handled', async () => ({ count: shared.__benchHandled })],
};

process.on('message', async (msg: Request) => {
  if (msg.type === 'exit') {
    await project.stop();
    process.exit(0);
  }
  const [type, answer] = ANSWERS[msg.type] ?? [];
  if (!type || !answer) return;
  try {
    process.send!({ type, ...(await answer(msg)) });
  } catch (err) {
    process.send!({ type, error: (err as Error).stack ?? String(err) });
  }
});
process.on('disconnect', () => void project.stop().finally(() => process.exit(0)));
process.send!({ type: 'ready', port: Number(new URL(project.url).port) });
