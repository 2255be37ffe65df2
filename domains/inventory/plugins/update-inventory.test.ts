import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import { UpdateInventoryPlugin } from './update-inventory.ts';

describe('inventory/update-inventory', () => {
  let t: TestTools;
  beforeEach(async () => {
    t = await testTools({ identity: 'inventory/update-inventory', migrations: ['domains/inventory/migrations'] });
    await new UpdateInventoryPlugin(t.tools).onBoot();
  });
  afterEach(() => t.close());

  it('takes an order out of stock when order.created arrives', async () => {
    await t.tools.bus.publish({ topic: 'order.created', payload: { orderId: 1n, sku: 'widget', quantity: 3n, email: 'a@b.c' } });
    await t.settle();
    const { row } = await t.tools.db.queryOne({ sql: "SELECT stock FROM inventory WHERE sku = 'widget'" });
    expect(row).toEqual({ stock: 97n });
  });
});
