// The orders flow end to end on the real kernel: place an order over HTTP, then
// read its causal tree back from /system/traces — the request, the inventory
// check it asked, the order.created event it announced, and the three
// reactions, each with its timing and the tool calls it made.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kernel } from '../kernel/index.ts';
import { REPO } from './project.ts';

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
let kernel: Kernel;
let url: string;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'mc-orders-'));
  kernel = new Kernel({ root: REPO, env: { ...process.env, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_PATH: join(dataDir, 'app.db'), AI_CONTEXT_PATH: 'off' } });
  const report = await kernel.boot();
  expect(report.filter((i) => i.status !== 'ready')).toEqual([]);
  url = `http://127.0.0.1:${(kernel.getTool('http') as { port: number }).port}`;
});

afterAll(async () => {
  await kernel?.shutdown();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('orders flow', () => {
  it('places an order and shows one causal tree: request → inventory check → order.created → three reactions', async () => {
    const res = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` },
      body: JSON.stringify({ sku: 'widget', quantity: 3, email: 'ada@example.org' }),
    });
    expect(res.status).toBe(201);
    const order = (await res.json()) as { id: number };
    const requestId = res.headers.get('x-request-id');
    await (kernel.getTool('bus') as { idle(): Promise<void> }).idle();

    const { roots } = (await (await fetch(`${url}/system/traces?trace=${TRACE_ID}`)).json()) as { roots: Node[] };
    expect(roots).toHaveLength(1);
    const [http] = roots;
    expect(http).toMatchObject({ id: requestId, kind: 'http', name: 'POST /orders', source: 'orders/create-order', ok: true, traceId: TRACE_ID });
    expect(http!.calls.map((c) => `${c.caller} ${c.tool}.${c.method}`).sort()).toEqual(['orders/create-order bus.publish', 'orders/create-order bus.request', 'orders/create-order db.query']);

    const [check, created] = http!.children;
    expect(check).toMatchObject({ kind: 'request', name: 'inventory.check', source: 'orders/create-order', ok: true });
    expect(check!.reactions.map((r) => r.identity)).toEqual(['inventory/check-inventory']);
    expect(check!.calls.map((c) => `${c.caller} ${c.tool}.${c.method}`)).toEqual(['inventory/check-inventory db.queryOne']);

    expect(created).toMatchObject({ kind: 'event', name: 'order.created', source: 'orders/create-order' });
    expect(created!.reactions.map((r) => r.identity).sort()).toEqual(['inventory/update-inventory', 'orders/notify-supplier', 'orders/send-email']);
    for (const r of created!.reactions) {
      expect(r.ok, r.identity).toBe(true);
      expect(r.attempts).toBe(1);
      expect(r.ms).toBeGreaterThan(0);
    }
    expect(created!.calls.map((c) => c.caller).sort()).toEqual(['inventory/update-inventory', 'orders/notify-supplier', 'orders/notify-supplier', 'orders/send-email']);

    // And the reactions did their work.
    const db = new Database(join(dataDir, 'app.db'), { readonly: true });
    expect(db.prepare("SELECT stock FROM inventory WHERE sku = 'widget'").get()).toEqual({ stock: 97 });
    expect(db.prepare('SELECT order_id, channel FROM outbox ORDER BY channel').all()).toEqual([
      { order_id: order.id, channel: 'email' },
      { order_id: order.id, channel: 'supplier' },
    ]);
    db.close();
  });

  it('refuses an order the stock cannot cover with 409, and announces nothing', async () => {
    const res = await fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sku: 'gizmo', quantity: 1, email: 'ada@example.org' }) });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('MC_ERR_CONFLICT');
  });
});
