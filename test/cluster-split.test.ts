// Two kernels with different plugins, one app: kernel A serves the TS orders
// domain, kernel B hosts only the Go inventory sidecar; they share NATS
// JetStream and PostgreSQL. An order placed on A asks inventory.check, which the
// Go sidecar in B answers; the order.created event A publishes reserves stock in
// B's sidecar and reaches A's own TS reactions; and the trace, asked of either
// kernel, is one tree naming where each reaction ran.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootProject, REPO, type TestProject } from './project.ts';
import { natsPrefix, postgresDatabase, servicesFromEnv } from './services.ts';

let a: TestProject;
let b: TestProject;
beforeAll(async () => {
  const env = { DATABASE_URL: await postgresDatabase(), BUS_DRIVER: 'nats', NATS_URL: servicesFromEnv().natsUrl, NATS_PREFIX: natsPrefix(), AI_CONTEXT_PATH: 'off' };
  const link = (...folders: string[]) => Object.fromEntries(folders.map((f) => [f, join(REPO, f)]));
  b = await bootProject({}, { env: { ...env, KERNEL_ID: 'k-go' }, links: link('sidecars/inventory', 'domains/system') });
  a = await bootProject({}, { env: { ...env, KERNEL_ID: 'k-ts' }, links: link('domains/orders', 'domains/users', 'domains/system') });
  for (const k of [a, b]) for (const item of k.report) expect(item.status, `${item.name}: ${item.reason}`).toBe('ready');
  expect(a.item('sidecar/inventory')).toBeUndefined();
  expect(b.item('orders/create-order')).toBeUndefined();
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
});

const TRACE = '5bf92f3577b34da6a3ce929d0e0e4736';
type Node = { kind: string; name: string; kernel: string; reactions: { identity: string; kernel: string; ok: boolean }[]; children: Node[] };

it('answers a TS plugin on one kernel from a Go sidecar on another, and shows it as one tree', async () => {
  const stock = async () => (await (await fetch(`${b.url}/inventory/widget`)).json()) as { stock: number; reserved: number };
  const before = await stock();
  const res = await fetch(`${a.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', traceparent: `00-${TRACE}-b7ad6b7169203331-01` }, body: JSON.stringify({ sku: 'widget', quantity: 2, email: 'ada@example.org' }) });
  expect(res.status).toBe(201);
  expect(await res.json()).toMatchObject({ sku: 'widget', quantity: 2, status: 'placed' });
  await expect.poll(stock, { timeout: 10_000 }).toEqual({ sku: 'widget', stock: before.stock - 2, reserved: before.reserved + 2 });

  // Every reaction has run once the supplier notice is written (A's TS plugin).
  for (const asked of [a, b]) {
    await expect.poll(async () => {
      const [root] = ((await (await fetch(`${asked.url}/system/traces?trace=${TRACE}`)).json()) as { roots: Node[] }).roots;
      const check = root?.children.find((n) => n.name === 'inventory.check');
      const created = root?.children.find((n) => n.name === 'order.created');
      return {
        root: root && `${root.kind} ${root.name} on ${root.kernel}`,
        check: check?.reactions.map((r) => `${r.identity} on ${r.kernel}`),
        created: created?.reactions.map((r) => `${r.identity} on ${r.kernel}`).sort(),
      };
    }, { timeout: 10_000 }).toEqual({
      root: 'http POST /orders on k-ts',
      check: ['sidecar/inventory on k-go'],
      created: ['orders/notify-supplier on k-ts', 'orders/send-email on k-ts', 'sidecar/inventory on k-go'],
    });
  }
});
