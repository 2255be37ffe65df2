import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Plain } from '../../../kernel/index.ts';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import type { Envelope } from '../../../proto/gen/microcore/v1/bus_pb.js';
import { InventoryCheck } from '../topics.ts';
import { CreateOrderPlugin } from './create-order.ts';

describe('orders/create-order', () => {
  let t: TestTools;
  let announced: Plain<Envelope>[];
  beforeEach(async () => {
    t = await testTools({ identity: 'orders/create-order', migrations: ['domains/orders/migrations'] });
    announced = [];
    // Stand-ins for inventory (answering the check) and for the reactions.
    await t.tools.bus.subscribe({ topic: InventoryCheck, handler: (e) => ({ available: e.payload.quantity <= 5n, stock: 5n }) });
    await t.tools.bus.subscribe({ topic: 'order.created', handler: (e) => {
      announced.push(e);
      return null;
    } });
    await new CreateOrderPlugin(t.tools).onBoot();
  });
  afterEach(() => t.close());

  it('registers POST /orders answering 201 with a body schema', () => {
    expect(t.routes.get('POST', '/orders')).toMatchObject({ successStatus: 201, bodySchema: { required: ['sku', 'quantity', 'email'] } });
  });

  it('writes the order and announces order.created keyed by sku', async () => {
    const order = await t.request('POST', '/orders', { body: { sku: 'gadget', quantity: 2n, email: 'ann@example.org' } });
    expect(order).toMatchObject({ id: 1n, sku: 'gadget', quantity: 2n, email: 'ann@example.org' });
    await t.settle();
    expect(announced).toHaveLength(1);
    expect(announced[0]).toMatchObject({ topic: 'order.created', key: 'gadget', source: 'orders/create-order', payload: { orderId: 1n, sku: 'gadget', quantity: 2n, email: 'ann@example.org' } });
  });

  it('refuses an order the stock cannot cover with MC_ERR_CONFLICT, writing nothing', async () => {
    await expect(t.request('POST', '/orders', { body: { sku: 'gadget', quantity: 6n, email: 'ann@example.org' } })).rejects.toMatchObject({ code: 'MC_ERR_CONFLICT' });
    await t.settle();
    expect((await t.tools.db.query({ sql: 'SELECT id FROM orders' })).rows).toEqual([]);
    expect(announced).toEqual([]);
  });
});
