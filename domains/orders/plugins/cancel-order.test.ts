import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Plain } from '../../../kernel/index.ts';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import type { Envelope } from '../../../proto/gen/microcore/v1/bus_pb.js';
import { CancelOrderPlugin } from './cancel-order.ts';

describe('orders/cancel-order', () => {
  let t: TestTools;
  let announced: Plain<Envelope>[];
  beforeEach(async () => {
    t = await testTools({ identity: 'orders/cancel-order', migrations: ['domains/orders/migrations'] });
    announced = [];
    await t.tools.db.execute({ sql: "INSERT INTO orders (sku, quantity, email) VALUES ('gadget', 2, 'ann@example.org')" });
    // A stand-in for the inventory sidecar, which releases the stock.
    await t.tools.bus.subscribe({ topic: 'order.cancelled', handler: (e) => {
      announced.push(e);
      return null;
    } });
    await new CancelOrderPlugin(t.tools).onBoot();
  });
  afterEach(() => t.close());

  it('marks a placed order cancelled and announces order.cancelled keyed by sku', async () => {
    const order = await t.request('POST', '/orders/:id/cancel', { params: { id: '1' } });
    expect(order).toMatchObject({ id: 1n, sku: 'gadget', quantity: 2n, status: 'cancelled' });
    await t.settle();
    expect(announced).toHaveLength(1);
    expect(announced[0]).toMatchObject({ topic: 'order.cancelled', key: 'gadget', source: 'orders/cancel-order', payload: { orderId: 1n, sku: 'gadget', quantity: 2n } });
  });

  it('answers a second cancel 409 MC_ERR_CONFLICT and announces nothing more', async () => {
    await t.request('POST', '/orders/:id/cancel', { params: { id: '1' } });
    await expect(t.request('POST', '/orders/:id/cancel', { params: { id: '1' } })).rejects.toMatchObject({ code: 'MC_ERR_CONFLICT', details: { status: 'cancelled' } });
    await t.settle();
    expect(announced).toHaveLength(1);
  });

  it('answers 409 for a rejected order and 404 MC_ERR_NOT_FOUND for an unknown one', async () => {
    await t.tools.db.execute({ sql: "UPDATE orders SET status = 'rejected' WHERE id = 1" });
    await expect(t.request('POST', '/orders/:id/cancel', { params: { id: '1' } })).rejects.toMatchObject({ code: 'MC_ERR_CONFLICT', details: { status: 'rejected' } });
    await expect(t.request('POST', '/orders/:id/cancel', { params: { id: '99' } })).rejects.toMatchObject({ code: 'MC_ERR_NOT_FOUND' });
    await t.settle();
    expect(announced).toEqual([]);
  });
});
