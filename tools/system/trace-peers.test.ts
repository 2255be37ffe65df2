// One trace across kernels (real nats-server, two or three real kernels, real
// HTTP): a trace whose requests landed on different kernels reads as one list
// of nodes — and one tree — from whichever kernel is asked, each node naming
// the kernel that recorded it; without the cluster bus a kernel shows its own.
import { join } from 'node:path';
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

it('gathers without a member list too (stops at the first silence)', async () => {
  const env = { BUS_DRIVER: 'nats', NATS_URL: servicesFromEnv().natsUrl, NATS_PREFIX: natsPrefix() };
  const [a, b] = [await kernel('k-a', env), await kernel('k-b', env)];
  await ping(b, '00f067aa0ba902b7');
  expect((await flat(a)).map((n) => n.kernel)).toEqual(['k-b']);
});

it('shows only its own nodes without the cluster bus', async () => {
  const [a, b] = [await kernel('k-a', {}), await kernel('k-b', {})];
  await ping(a, '00f067aa0ba902b7');
  await ping(b, '00f067aa0ba902b8');
  expect((await flat(a)).map((n) => n.kernel)).toEqual(['k-a']);
});
