import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import { RejectOrderPlugin } from './reject-order.ts';

describe('orders/reject-order', () => {
  let t: TestTools;
  beforeEach(async () => {
    t = await testTools({ identity: 'orders/reject-order', migrations: ['domains/orders/migrations'] });
    await t.tools.db.execute({ sql: "INSERT INTO orders (sku, quantity, email) VALUES ('gadget', 9, 'ann@example.org'), ('gadget', 1, 'bob@example.org')" });
    await t.tools.db.execute({ sql: "UPDATE orders SET status = 'cancelled' WHERE id = 2" });
    await new RejectOrderPlugin(t.tools).onBoot();
  });
  afterEach(() => t.close());

  it('marks a placed order rejected, twice as once, and leaves a cancelled one alone', async () => {
    const rejected = (orderId: bigint) => ({ topic: 'order.rejected', payload: { orderId, sku: 'gadget', quantity: 9n, reason: 'insufficient stock' } });
    await t.tools.bus.publish(rejected(1n));
    await t.tools.bus.publish(rejected(1n));
    await t.tools.bus.publish(rejected(2n));
    await t.settle();
    const { rows } = await t.tools.db.query({ sql: 'SELECT id, status FROM orders ORDER BY id' });
    expect(rows).toEqual([{ id: 1n, status: 'rejected' }, { id: 2n, status: 'cancelled' }]);
  });
});
