// The inventory sidecar (sidecars/inventory, the real Go process) on a database
// the old layout made: before the move, domains/inventory/migrations created the
// inventory table under owner `inventory`. Booting the new layout on it must
// not fail and must keep the stock; then GET/PUT /inventory/:sku and the
// rejection of an order the stock cannot cover.
import Database from 'better-sqlite3';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kernel, type ReportItem } from '../kernel/index.ts';
import { silentLog } from '../kernel/log.ts';
import { applyMigrations } from '../tools/db-sqlite/migrations.ts';
import { REPO } from './project.ts';

const SIDECAR = 'sidecar/inventory';
// domains/inventory/migrations/001_inventory.sql as it was, byte for byte.
const OLD_INVENTORY_SQL = `-- Stock per product. Seeded so the example works out of the box.
CREATE TABLE inventory (
  sku TEXT PRIMARY KEY,
  stock INTEGER NOT NULL CHECK (stock >= 0)
);

INSERT INTO inventory (sku, stock) VALUES ('widget', 100), ('gadget', 5), ('gizmo', 0);
`;

let kernel: Kernel;
let report: ReportItem[];
let url: string;
let dataDir: string;
let dbPath: string;

/** A database as the old layout left it: its migrations applied under their old owners, then used. */
function oldLayoutDatabase(): void {
  const old = join(dataDir, 'old');
  mkdirSync(join(old, 'domains/inventory/migrations'), { recursive: true });
  mkdirSync(join(old, 'domains/orders/migrations'), { recursive: true });
  writeFileSync(join(old, 'domains/inventory/migrations/001_inventory.sql'), OLD_INVENTORY_SQL);
  copyFileSync(join(REPO, 'domains/orders/migrations/001_orders.sql'), join(old, 'domains/orders/migrations/001_orders.sql'));
  const db = new Database(dbPath);
  applyMigrations(db, old, [{ owner: 'inventory', dir: 'domains/inventory/migrations' }, { owner: 'orders', dir: 'domains/orders/migrations' }], silentLog());
  // Stock moved since the seed; one order was placed.
  db.exec("UPDATE inventory SET stock = 42 WHERE sku = 'widget'; UPDATE inventory SET stock = 0 WHERE sku = 'gadget'; INSERT INTO inventory (sku, stock) VALUES ('sprocket', 7)");
  db.exec("INSERT INTO orders (sku, quantity, email) VALUES ('widget', 58, 'old@example.org')");
  db.close();
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'mc-inventory-'));
  dbPath = join(dataDir, 'app.db');
  oldLayoutDatabase();
  kernel = new Kernel({ root: REPO, env: { ...process.env, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_PATH: dbPath, AI_CONTEXT_PATH: 'off' } });
  report = await kernel.boot();
  url = `http://127.0.0.1:${(kernel.getTool('http') as { port: number }).port}`;
});

afterAll(async () => {
  await kernel?.shutdown();
  rmSync(dataDir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
}

function read<T>(sql: string): T[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

describe('inventory sidecar on a database the old layout made', () => {
  it('boots without failure, keeps every product\'s stock, and records its migration under sidecar/inventory', async () => {
    expect(report.filter((i) => i.status !== 'ready')).toEqual([]);
    expect(report.find((i) => i.name === SIDECAR)).toMatchObject({ status: 'ready' });
    expect(read('SELECT sku, stock FROM inventory ORDER BY sku')).toEqual([
      { sku: 'gadget', stock: 0 },
      { sku: 'gizmo', stock: 0 },
      { sku: 'sprocket', stock: 7 },
      { sku: 'widget', stock: 42 },
    ]);
    expect(read("SELECT owner, file FROM _microcore_migrations WHERE owner IN ('inventory', 'orders', 'sidecar/inventory') ORDER BY owner, file")).toEqual([
      { owner: 'inventory', file: '001_inventory.sql' },
      { owner: 'orders', file: '001_orders.sql' },
      { owner: 'orders', file: '002_order_status.sql' },
      { owner: SIDECAR, file: '001_inventory.sql' },
    ]);
    // The order placed before the status column existed reads as placed.
    expect(read('SELECT sku, status FROM orders')).toEqual([{ sku: 'widget', status: 'placed' }]);
    expect((await call('GET', '/inventory/widget')).body).toEqual({ sku: 'widget', stock: 42, reserved: 0 });
  });

  it('PUT /inventory/:sku sets the stock (adding a new product); a negative stock is 422 and changes nothing', async () => {
    expect(await call('PUT', '/inventory/sprocket', { stock: 12 })).toEqual({ status: 200, body: { sku: 'sprocket', stock: 12, reserved: 0 } });
    expect(await call('PUT', '/inventory/doohickey', { stock: 3 })).toEqual({ status: 200, body: { sku: 'doohickey', stock: 3, reserved: 0 } });
    const negative = await call('PUT', '/inventory/sprocket', { stock: -1 });
    expect(negative.status).toBe(422);
    expect(negative.body.error).toMatchObject({ code: 'MC_ERR_HTTP_VALIDATION' });
    expect((await call('PUT', '/inventory/sprocket', {})).status).toBe(422);
    expect((await call('GET', '/inventory/sprocket')).body).toEqual({ sku: 'sprocket', stock: 12, reserved: 0 });
  });

  it('GET /inventory/:sku answers 404 MC_ERR_NOT_FOUND for an unknown product', async () => {
    const res = await call('GET', '/inventory/nope');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'MC_ERR_NOT_FOUND' });
  });

  it('rejects an order the stock no longer covers when order.created arrives: order.rejected marks it, the stock stays', async () => {
    const placed = await call('POST', '/orders', { sku: 'doohickey', quantity: 3, email: 'ada@example.org' });
    expect(placed.status).toBe(201);
    await (kernel.getTool('bus') as { idle(): Promise<void> }).idle();
    expect((await call('GET', '/inventory/doohickey')).body).toEqual({ sku: 'doohickey', stock: 0, reserved: 3 });

    // Another order passed the check while the first took the stock: the
    // reservation finds nothing left. Place it behind the check's back.
    const db = new Database(dbPath);
    const late = db.prepare("INSERT INTO orders (sku, quantity, email) VALUES ('doohickey', 2, 'bob@example.org') RETURNING id").get() as { id: number };
    db.close();
    const sub = kernel.subscriptions.forTopic('order.created').find((s) => s.owner === SIDECAR)!;
    await kernel.invoke(SIDECAR, sub.handlerId, {
      case: 'event',
      value: { id: 'late-order-event', topic: 'order.created', payload: { orderId: BigInt(late.id), sku: 'doohickey', quantity: 2n, email: 'bob@example.org' }, traceId: '2af7651916cd43dd8448eb211c80319c', parentId: '', source: 'orders/create-order', timeUnixMs: 0n, key: 'doohickey', attempt: 1 },
    });
    await (kernel.getTool('bus') as { idle(): Promise<void> }).idle();

    expect((await call('GET', '/inventory/doohickey')).body).toEqual({ sku: 'doohickey', stock: 0, reserved: 3 });
    expect(read(`SELECT id, status FROM orders WHERE sku = 'doohickey' ORDER BY id`)).toEqual([
      { id: placed.body.id, status: 'placed' },
      { id: late.id, status: 'rejected' },
    ]);
    expect(read(`SELECT order_id, status FROM inventory_reservations WHERE sku = 'doohickey' ORDER BY order_id`)).toEqual([
      { order_id: placed.body.id, status: 'reserved' },
      { order_id: late.id, status: 'rejected' },
    ]);
    // A rejected order cannot be cancelled: nothing was reserved for it.
    expect((await call('POST', `/orders/${late.id}/cancel`)).status).toBe(409);
  });

  it('a cancel that overtakes its order.created leaves nothing to reserve', async () => {
    await call('PUT', '/inventory/sprocket', { stock: 10 });
    const deliver = async (topic: string, id: string, payload: Record<string, unknown>) => {
      const sub = kernel.subscriptions.forTopic(topic).find((s) => s.owner === SIDECAR)!;
      await kernel.invoke(SIDECAR, sub.handlerId, { case: 'event', value: { id, topic, payload: payload as never, traceId: '3af7651916cd43dd8448eb211c80319c', parentId: '', source: 'orders/test', timeUnixMs: 0n, key: 'sprocket', attempt: 1 } });
    };
    await deliver('order.cancelled', 'cancel-first', { orderId: 900n, sku: 'sprocket', quantity: 4n });
    await deliver('order.created', 'created-late', { orderId: 900n, sku: 'sprocket', quantity: 4n, email: 'x@y.z' });
    expect((await call('GET', '/inventory/sprocket')).body).toEqual({ sku: 'sprocket', stock: 10, reserved: 0 });
    expect(read('SELECT status FROM inventory_reservations WHERE order_id = 900')).toEqual([{ status: 'released' }]);
  });
});
