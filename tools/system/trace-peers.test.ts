// One trace across kernels (real nats-server, two or three real kernels, real
// HTTP): a trace whose requests landed on different kernels reads as one list
// of nodes — and one tree — from whichever kernel is asked, each node naming
// the kernel that recorded it; without the cluster bus a kernel shows its own.
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterEach, expect, it } from 'vitest';
import { natsPrefix, postgresDatabase, servicesFromEnv } from '../../test/services.ts';
import { bootProject, plugin, REPO, type TestProject } from '../../test/project.ts';

const kernels: TestProject[] = [];
afterEach(async () => {
  await Promise.all(kernels.splice(0).map((k) => k.stop()));
});

const PING = { 'domains/ping/plugins/ping.ts': plugin(`export class PingPlugin { constructor({ http }) { this.http = http; } async onBoot() { await this.http.addEndpoint({ method: 'GET', path: '/ping', handler: () => ({ pong: true }) }); } }`) };

async function kernel(id: string, env: Record<string, string>): Promise<TestProject> {
  const k = await bootProject(PING, { tools: ['logger', 'http', 'system', 'config', 'state', 'state-postgres'], env: { KERNEL_ID: id, ...env }, links: { 'domains/system': join(REPO, 'domains/system') } });
  kernels.push(k);
  for (const item of k.report) expect(item.status, `${item.name}: ${item.reason}`).toBe('ready');
  return k;
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const ping = (k: TestProject, span: string) => fetch(`${k.url}/ping`, { headers: { traceparent: `00-${TRACE}-${span}-01` } });
type Node = { id: string; traceId: string; kernel: string; name: string; atUnixMs: number };
const flat = async (k: TestProject, trace = TRACE) => ((await (await fetch(`${k.url}/system/traces/flat?trace=${trace}`)).json()) as { nodes: Node[] }).nodes;

it('gathers the nodes of one trace from every kernel (members known from PostgreSQL)', async () => {
  const env = { BUS_DRIVER: 'nats', NATS_URL: servicesFromEnv().natsUrl, NATS_PREFIX: natsPrefix(), DATABASE_URL: await postgresDatabase() };
  const [a, b, c] = [await kernel('k-a', env), await kernel('k-b', env), await kernel('k-c', env)];
  expect((await ping(a, '00f067aa0ba902b7')).status).toBe(200);
  expect((await ping(b, '00f067aa0ba902b8')).status).toBe(200);
  expect((await ping(b, '00f067aa0ba902b9')).status).toBe(200);
  await fetch(`${c.url}/ping`); // another trace: not gathered
  for (const asked of [a, b, c]) {
    const nodes = await flat(asked);
    expect(nodes.map((n) => n.kernel).sort()).toEqual(['k-a', 'k-b', 'k-b']);
    expect(nodes.every((n) => n.traceId === TRACE && n.name === 'GET /ping')).toBe(true);
    // Newest first, across kernels.
    expect(nodes.map((n) => n.atUnixMs)).toEqual([...nodes.map((n) => n.atUnixMs)].sort((x, y) => y - x));
  }
  // The tree view is built from the same nodes.
  const roots = ((await (await fetch(`${c.url}/system/traces?trace=${TRACE}`)).json()) as { roots: Node[] }).roots;
  expect(roots.map((r) => r.kernel).sort()).toEqual(['k-a', 'k-b', 'k-b']);
});

it('shows a request on one kernel and its event handled on another as one tree, reactions naming their kernel', async () => {
  const env = { BUS_DRIVER: 'nats', NATS_URL: servicesFromEnv().natsUrl, NATS_PREFIX: natsPrefix(), BUS_RETRY_BASE_MS: '5' };
  const publisher = {
    'domains/notes/plugins/add-note.ts': plugin(`export class AddNotePlugin { constructor({ http, bus }) { this.http = http; this.bus = bus; } async onBoot() { await this.http.addEndpoint({ method: 'POST', path: '/notes', handler: async () => { await this.bus.publish({ topic: 'note.added', payload: { n: 1n } }); return { ok: true }; } }); } }`),
  };
  const subscriber = {
    'domains/audit/plugins/log-note.ts': plugin(`export class LogNotePlugin { constructor({ bus }) { this.bus = bus; } async onBoot() { await this.bus.subscribe({ topic: 'note.added', handler: async () => { globalThis.__handled = (globalThis.__handled ?? 0) + 1; } }); } }`),
  };
  const boot = async (id: string, files: Record<string, string>) => {
    const k = await bootProject(files, { tools: ['logger', 'http', 'system', 'config', 'bus', 'bus-nats', 'state'], env: { KERNEL_ID: id, ...env }, links: { 'domains/system': join(REPO, 'domains/system') } });
    kernels.push(k);
    for (const item of k.report) expect(item.status, `${item.name}: ${item.reason}`).toBe('ready');
    return k;
  };
  const a = await boot('k-pub', publisher);
  const b = await boot('k-sub', subscriber);
  const res = await fetch(`${a.url}/notes`, { method: 'POST', headers: { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` } });
  expect(res.status).toBe(200);
  await expect.poll(() => (globalThis as { __handled?: number }).__handled).toBe(1);
  type Tree = Node & { kind: string; reactions: { identity: string; kernel: string; ok: boolean }[]; children: Tree[] };
  for (const asked of [a, b]) {
    const roots = ((await (await fetch(`${asked.url}/system/traces?trace=${TRACE}`)).json()) as { roots: Tree[] }).roots;
    expect(roots).toHaveLength(1);
    expect(roots[0]).toMatchObject({ kind: 'http', name: 'POST /notes', kernel: 'k-pub' });
    expect(roots[0]!.children).toHaveLength(1);
    expect(roots[0]!.children[0]).toMatchObject({ kind: 'event', name: 'note.added', kernel: 'k-pub', reactions: [{ identity: 'audit/log-note', kernel: 'k-sub', ok: true }] });
  }
});

it('gathers without a member list too (stops at the first silence), whatever else is published on its subject', async () => {
  const env = { BUS_DRIVER: 'nats', NATS_URL: servicesFromEnv().natsUrl, NATS_PREFIX: natsPrefix() };
  const [a, b] = [await kernel('k-a', env), await kernel('k-b', env)];
  await ping(b, '00f067aa0ba902b7');
  // Garbage on the subject (another program, another version): a kernel that threw on it would stop reading its connection.
  const nc = await connect({ servers: env.NATS_URL });
  for (const junk of ['not json', 'null', '{"traceId":7}', '[]']) nc.publish(`${env.NATS_PREFIX}.traces`, junk);
  await nc.flush();
  await nc.close();
  expect((await flat(a)).map((n) => n.kernel)).toEqual(['k-b']);
  await ping(a, '00f067aa0ba902b8');
  expect((await flat(b)).map((n) => n.kernel).sort()).toEqual(['k-a', 'k-b']);
});

it('shows only its own nodes without the cluster bus', async () => {
  const [a, b] = [await kernel('k-a', {}), await kernel('k-b', {})];
  await ping(a, '00f067aa0ba902b7');
  await ping(b, '00f067aa0ba902b8');
  expect((await flat(a)).map((n) => n.kernel)).toEqual(['k-a']);
});
