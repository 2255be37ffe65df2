// The orders flow end to end on the real kernel with the real inventory sidecar
// process (sidecars/inventory, Go): TS → Go → TS. Place an order over HTTP,
// then read its causal tree back from /system/traces — the request, the
// inventory check the sidecar answered, the order.created event it announced,
// and the four reactions (two TS, one Go, one Rust), each with its timing and the tool
// calls it made. Then the stock: reserved by the order, released by a cancel,
// and unchanged by a redelivered event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel, Plain } from '../kernel/index.ts';
import type { Envelope } from '../proto/gen/microcore/v1/bus_pb.js';
import { bootExampleApp, type ExampleApp } from './project.ts';

interface Node {
  id: string;
  kind: string;
  name: string;
  source: string;
  traceId: string;
  ms: number;
  ok: boolean;
  reactions: { identity: string; ok: boolean; ms: number; attempts: number }[];
  calls: { caller: string; tool: string; method: string }[];
  children: Node[];
}

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SIDECAR = 'sidecar/inventory';
const RECOMMENDATIONS = 'sidecar/recommendations';
let app: ExampleApp;
let kernel: Kernel;
let url: string;

beforeAll(async () => {
  app = await bootExampleApp();
  ({ kernel, url } = app);
});

afterAll(() => app?.stop());

const idle = () => (kernel.getTool('bus') as { idle(): Promise<void> }).idle();

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}${path}`, { method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string } }, requestId: res.headers.get('x-request-id') };
}

const stock = async (sku: string) => (await call('GET', `/inventory/${sku}`)).body;
const traces = async (traceId: string) => ((await (await fetch(`${url}/system/traces?trace=${traceId}`)).json()) as { roots: Node[] }).roots;
const callsOf = (n: Node) => n.calls.map((c) => `${c.caller} ${c.tool}.${c.method}`).sort();

/** Hands the sidecar an event again, exactly as the bus delivered it (same envelope id): a redelivery. */
async function redeliver(env: Plain<Envelope>): Promise<void> {
  const sub = kernel.subscriptions.forTopic(env.topic).find((s) => s.owner === SIDECAR);
  expect(sub, `${SIDECAR} subscribes to ${env.topic}`).toBeDefined();
  await kernel.invoke(SIDECAR, sub!.handlerId, { case: 'event', value: { ...env, attempt: 2 } });
  await idle();
}

function envelope(node: Node, payload: Plain<Envelope>['payload'], key: string): Plain<Envelope> {
  return { id: node.id, topic: node.name, payload, traceId: node.traceId, parentId: '', source: node.source, timeUnixMs: 0n, key, attempt: 1 };
}

describe('orders flow', () => {
  let orderId: number;
  let createdNode: Node;

  it('places an order and shows one causal tree: request → inventory.check (Go) → order.created → four reactions (TS, TS, Go, Rust)', async () => {
    const before = await stock('widget');
    const res = await call('POST', '/orders', { sku: 'widget', quantity: 3, email: 'ada@example.org' }, { traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` });
    expect(res.status).toBe(201);
    orderId = res.body.id as number;
    expect(res.body.status).toBe('placed');
    await idle();

    const roots = await traces(TRACE_ID);
    expect(roots).toHaveLength(1);
    const [http] = roots;
    expect(http).toMatchObject({ id: res.requestId, kind: 'http', name: 'POST /orders', source: 'orders/create-order', ok: true, traceId: TRACE_ID });
    expect(callsOf(http!)).toEqual(['orders/create-order bus.publish', 'orders/create-order bus.request', 'orders/create-order db.query']);

    const [check, created] = http!.children;
    expect(check).toMatchObject({ kind: 'request', name: 'inventory.check', source: 'orders/create-order', ok: true, traceId: TRACE_ID });
    expect(check!.reactions.map((r) => r.identity)).toEqual([SIDECAR]);
    expect(callsOf(check!)).toEqual([`${SIDECAR} db.queryOne`]);

    expect(created).toMatchObject({ kind: 'event', name: 'order.created', source: 'orders/create-order', traceId: TRACE_ID });
    expect(created!.reactions.map((r) => r.identity).sort()).toEqual(['orders/notify-supplier', 'orders/send-email', SIDECAR, RECOMMENDATIONS]);
    for (const r of created!.reactions) {
      expect(r.ok, r.identity).toBe(true);
      expect(r.attempts).toBe(1);
      expect(r.ms).toBeGreaterThan(0);
    }
    expect(callsOf(created!)).toEqual(['orders/notify-supplier config.get', 'orders/notify-supplier db.execute', 'orders/send-email db.execute', `${SIDECAR} db.transaction`, `${RECOMMENDATIONS} db.transaction`]);
    createdNode = created!;

    // The Go reaction reserved the stock; the TS ones wrote the outbox; the Rust one counted co-purchases (test/recommendations-sidecar.test.ts).
    expect(await stock('widget')).toEqual({ sku: 'widget', stock: (before.stock as number) - 3, reserved: (before.reserved as number) + 3 });
  });

  it('a redelivered order.created (same envelope id) reserves nothing more', async () => {
    const before = await stock('widget');
    await redeliver(envelope(createdNode, { orderId: BigInt(orderId), sku: 'widget', quantity: 3n, email: 'ada@example.org' }, 'widget'));
    await redeliver(envelope(createdNode, { orderId: BigInt(orderId), sku: 'widget', quantity: 3n, email: 'ada@example.org' }, 'widget'));
    expect(await stock('widget')).toEqual(before);
  });

  it('cancelling releases the reserved stock: POST /orders/:id/cancel → order.cancelled → sidecar/inventory', async () => {
    const before = await stock('widget');
    const traceId = '1af7651916cd43dd8448eb211c80319c';
    const res = await call('POST', `/orders/${orderId}/cancel`, undefined, { traceparent: `00-${traceId}-b7ad6b7169203331-01` });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: orderId, sku: 'widget', quantity: 3, status: 'cancelled' });
    await idle();
    expect(await stock('widget')).toEqual({ sku: 'widget', stock: (before.stock as number) + 3, reserved: (before.reserved as number) - 3 });

    const [http] = await traces(traceId);
    expect(http).toMatchObject({ name: 'POST /orders/:id/cancel', source: 'orders/cancel-order', ok: true });
    const [cancelled] = http!.children;
    expect(cancelled).toMatchObject({ kind: 'event', name: 'order.cancelled', source: 'orders/cancel-order' });
    expect(cancelled!.reactions).toMatchObject([{ identity: SIDECAR, ok: true, attempts: 1 }]);
    expect(callsOf(cancelled!)).toEqual([`${SIDECAR} db.transaction`]);

    // The same event again releases nothing more; a second cancel is refused.
    const released = await stock('widget');
    await redeliver(envelope(cancelled!, { orderId: BigInt(orderId), sku: 'widget', quantity: 3n }, 'widget'));
    expect(await stock('widget')).toEqual(released);
    const again = await call('POST', `/orders/${orderId}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error!.code).toBe('MC_ERR_CONFLICT');
    await idle();
    expect(await stock('widget')).toEqual(released);
  });

  it('answers 404 for cancelling an unknown order', async () => {
    const res = await call('POST', '/orders/999999/cancel');
    expect(res.status).toBe(404);
    expect(res.body.error!.code).toBe('MC_ERR_NOT_FOUND');
  });

  it('refuses an order the stock cannot cover with 409, and announces nothing', async () => {
    const res = await call('POST', '/orders', { sku: 'gizmo', quantity: 1, email: 'ada@example.org' });
    expect(res.status).toBe(409);
    expect(res.body.error!.code).toBe('MC_ERR_CONFLICT');
  });
});

describe('the topics the orders flow declares (issue 10)', () => {
  type Bus = { publish(input: object, call: { caller: string }): unknown; request(input: object, call: { caller: string }): Promise<unknown> };
  const bus = () => kernel.getTool('bus') as Bus;

  it('refuses a malformed order.created at publish, naming the field, before the Go inventory sees it', () => {
    const publish = () => bus().publish({ topic: 'order.created', key: 'A', payload: { orderId: 1n, sku: 'A', quantity: 'two', email: 'a@b.c' } }, { caller: 'test/intruder' });
    expect(publish).toThrow(expect.objectContaining({ code: 'MC_ERR_BUS_SCHEMA', message: expect.stringContaining("test/intruder published on 'order.created': payload.quantity must be integer") }));
  });

  it('checks inventory.check, which the Go sidecar declares, the same way', async () => {
    // A tool method may refuse at once (throw) or later (reject): the kernel's tool call takes both.
    await expect(Promise.resolve().then(() => bus().request({ topic: 'inventory.check', payload: { sku: 'A', quantity: 1n, rush: true }, timeoutMs: 2000n }, { caller: 'test/intruder' }))).rejects.toMatchObject({ code: 'MC_ERR_BUS_SCHEMA', details: { owner: 'sidecar/inventory' }, message: expect.stringContaining("payload has field 'rush'") });
  });
});
