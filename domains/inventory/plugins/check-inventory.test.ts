import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import { CheckInventoryPlugin } from './check-inventory.ts';

describe('inventory/check-inventory', () => {
  let t: TestTools;
  beforeEach(async () => {
    t = await testTools({ identity: 'inventory/check-inventory', migrations: ['domains/inventory/migrations'] });
    await new CheckInventoryPlugin(t.tools).onBoot();
  });
  afterEach(() => t.close());

  it('answers inventory.check with availability and stock', async () => {
    expect((await t.tools.bus.request({ topic: 'inventory.check', payload: { sku: 'gadget', quantity: 5n } })).payload).toEqual({ available: true, stock: 5n });
    expect((await t.tools.bus.request({ topic: 'inventory.check', payload: { sku: 'gadget', quantity: 6n } })).payload).toEqual({ available: false, stock: 5n });
  });

  it('answers an unknown sku with MC_ERR_NOT_FOUND', async () => {
    await expect(t.tools.bus.request({ topic: 'inventory.check', payload: { sku: 'nope', quantity: 1n } })).rejects.toMatchObject({ code: 'MC_ERR_NOT_FOUND' });
  });
});
