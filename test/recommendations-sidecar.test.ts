// The recommendations sidecar (sidecars/recommendations, the real Rust process)
// in the example app: orders placed through POST /orders reach it as
// order.created, and GET /catalog/:sku/recommendations answers how many
// customers bought both, ranked, with the catalog's names. A redelivered
// event (same envelope id) counts once.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel, Plain } from '../kernel/index.ts';
import type { Envelope } from '../proto/gen/microcore/v1/bus_pb.js';
import { bootExampleApp, type ExampleApp } from './project.ts';

const SIDECAR = 'sidecar/recommendations';
const TRACE_ID = '2af7651916cd43dd8448eb211c80319c';

interface Recommendation {
  sku: string;
  name: string | null;
  count: number;
}
interface Answer {
  sku?: string;
  recommendations?: Recommendation[];
  error?: { code: string; message: string; details: Record<string, string> };
}

let app: ExampleApp;
let kernel: Kernel;
let dataDir: string;
/** Three catalog products (domains/catalog's seeded products table), and one nobody orders. */
let p1: { sku: string; name: string };
let p2: { sku: string; name: string };
let p3: { sku: string; name: string };
let unbought: { sku: string; name: string };

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'mc-recs-'));
  app = await bootExampleApp({ DATABASE_PATH: join(dataDir, 'app.db') });
  kernel = app.kernel;
  const db = new Database(join(dataDir, 'app.db'), { readonly: true });
  try {
    [p1, p2, p3, unbought] = db.prepare('SELECT sku, name FROM products ORDER BY id LIMIT 4').all() as { sku: string; name: string }[] as [never, never, never, never];
  } finally {
    db.close();
  }
  // The inventory sidecar answers inventory.check only for products it stocks.
  for (const { sku } of [p1, p2, p3]) expect((await call('PUT', `/inventory/${sku}`, { stock: 100 })).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await app?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const idle = () => (kernel.getTool('bus') as { idle(): Promise<void> }).idle();

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${app.url}${path}`, { method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Answer & Record<string, unknown> };
}

/** Places an order of one; answers its id. */
async function order(sku: string, email: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await call('POST', '/orders', { sku, quantity: 1, email }, headers);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as number;
}

const recommendations = (sku: string, query = '') => call('GET', `/catalog/${sku}/recommendations${query}`);
const bySku = (a: Recommendation, b: Recommendation) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0);

/** Hands the sidecar an event again, as the bus delivers it on a retry: the same envelope id. */
async function redeliver(env: Plain<Envelope>): Promise<void> {
  const sub = kernel.subscriptions.forTopic(env.topic).find((s) => s.owner === SIDECAR);
  expect(sub, `${SIDECAR} subscribes to ${env.topic}`).toBeDefined();
  const out = await kernel.invoke(SIDECAR, sub!.handlerId, { case: 'event', value: { ...env, attempt: 2 } });
  expect(out).toMatchObject({ case: 'value' });
  await idle();
}

describe('recommendations sidecar (Rust) in the example app', () => {
  it('boots ready with the example app', () => {
    expect(app.report.find((i) => i.name === SIDECAR)).toMatchObject({ status: 'ready' });
  });

  it('counts each customer once per pair of products they bought, and ranks by count then sku, with catalog names', async () => {
    // widget: ada, bob, cy; p1: ada, bob; p2: ada, dee; p3: cy. Ada's second
    // widget order and her capitalised email add no one.
    await order('widget', 'ada@example.org');
    await order(p1.sku, 'ada@example.org');
    await order(p2.sku, 'ADA@Example.org');
    await order('widget', 'ada@example.org');
    await order('widget', 'bob@example.org');
    await order(p1.sku, 'bob@example.org');
    await order(p3.sku, 'cy@example.org');
    await order('widget', 'cy@example.org');
    await order(p2.sku, 'dee@example.org');
    await idle();

    const widget = await recommendations('widget');
    expect(widget.status).toBe(200);
    expect(widget.body).toEqual({ sku: 'widget', recommendations: [{ sku: p1.sku, name: p1.name, count: 2 }, ...[{ sku: p2.sku, name: p2.name, count: 1 }, { sku: p3.sku, name: p3.name, count: 1 }].sort(bySku)] });

    expect((await recommendations(p1.sku)).body).toEqual({ sku: p1.sku, recommendations: [{ sku: 'widget', name: null, count: 2 }, { sku: p2.sku, name: p2.name, count: 1 }] });
    expect((await recommendations(p2.sku)).body).toEqual({ sku: p2.sku, recommendations: [{ sku: p1.sku, name: p1.name, count: 1 }, { sku: 'widget', name: null, count: 1 }].sort(bySku) });
    expect((await recommendations(p3.sku)).body).toEqual({ sku: p3.sku, recommendations: [{ sku: 'widget', name: null, count: 1 }] });
    expect((await recommendations('widget', '?limit=1')).body).toEqual({ sku: 'widget', recommendations: [{ sku: p1.sku, name: p1.name, count: 2 }] });
  });

  it('answers an empty list for a catalog product nobody bought, and 404 naming an unknown sku', async () => {
    expect(await recommendations(unbought.sku)).toEqual({ status: 200, body: { sku: unbought.sku, recommendations: [] } });
    const unknown = await recommendations('no-such-sku');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'MC_ERR_NOT_FOUND', details: { sku: 'no-such-sku' } });
    expect(unknown.body.error!.message).toContain("no product with sku 'no-such-sku'");
  });

  it('refuses a limit outside 1..50 with 422 naming the limit, by its query schema, before the handler runs', async () => {
    for (const limit of ['0', '51', 'ten', '-3', '1.5']) {
      const res = await recommendations('widget', `?limit=${limit}`);
      expect(res.status, limit).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'MC_ERR_HTTP_VALIDATION', details: { in: 'query' } });
      expect(res.body.error!.message).toContain("query parameter 'limit' must be");
    }
    expect((await recommendations('widget', '?limit=50')).status).toBe(200);
  });

  it('counts a redelivered order.created (same envelope id) once', async () => {
    // Eve bought p1; her widget order makes widget–p1 three customers.
    await order(p1.sku, 'eve@example.org');
    const orderId = BigInt(await order('widget', 'eve@example.org', { traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` }));
    await idle();
    const counts = async (sku: string) => Object.fromEntries((await recommendations(sku)).body.recommendations!.map((r) => [r.sku, r.count]));
    const before = { widget: await counts('widget'), p1: await counts(p1.sku), p2: await counts(p2.sku) };
    expect(before.widget[p1.sku]).toBe(3);

    const { roots } = (await (await fetch(`${app.url}/system/traces?trace=${TRACE_ID}`)).json()) as { roots: { children: { id: string; kind: string; name: string; source: string; traceId: string }[] }[] };
    const created = roots[0]!.children.find((c) => c.kind === 'event' && c.name === 'order.created')!;
    expect(created, 'the order.created event of eve\'s widget order').toBeDefined();
    const env = (payload: Plain<Envelope>['payload']): Plain<Envelope> => ({ id: created.id, topic: created.name, payload, traceId: created.traceId, parentId: '', source: created.source, timeUnixMs: 0n, key: 'widget', attempt: 1 });

    // The same event twice more, then the same id carrying another order
    // (eve and p2, which would add widget–p2 and p1–p2): the id alone stops it.
    await redeliver(env({ orderId, sku: 'widget', quantity: 1n, email: 'eve@example.org' }));
    await redeliver(env({ orderId, sku: 'widget', quantity: 1n, email: 'eve@example.org' }));
    await redeliver(env({ orderId: orderId + 1000n, sku: p2.sku, quantity: 1n, email: 'eve@example.org' }));
    expect({ widget: await counts('widget'), p1: await counts(p1.sku), p2: await counts(p2.sku) }).toEqual(before);
  });
});
