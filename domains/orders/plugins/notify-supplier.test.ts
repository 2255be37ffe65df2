import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import { NotifySupplierPlugin } from './notify-supplier.ts';

describe('orders/notify-supplier', () => {
  let t: TestTools;
  beforeEach(async () => {
    t = await testTools({ identity: 'orders/notify-supplier', migrations: ['domains/orders/migrations'], env: { SUPPLIER_EMAIL: 'stock@acme.test' } });
    await t.tools.db.execute({ sql: "INSERT INTO orders (sku, quantity, email) VALUES ('gadget', 1, 'ann@example.org')" });
    await new NotifySupplierPlugin(t.tools).onBoot();
  });
  afterEach(() => t.close());

  it('tells the configured supplier what was sold', async () => {
    await t.tools.bus.publish({ topic: 'order.created', payload: { orderId: 1n, sku: 'gadget', quantity: 1n, email: 'ann@example.org' } });
    await t.settle();
    const { rows } = await t.tools.db.query({ sql: 'SELECT channel, recipient, body FROM outbox' });
    expect(rows).toEqual([{ channel: 'supplier', recipient: 'stock@acme.test', body: 'Sold 1 × gadget (order #1).' }]);
  });
});
