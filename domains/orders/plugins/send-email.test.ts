import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import { SendEmailPlugin } from './send-email.ts';

describe('orders/send-email', () => {
  let t: TestTools;
  beforeEach(async () => {
    t = await testTools({ identity: 'orders/send-email', migrations: ['domains/orders/migrations'] });
    await t.tools.db.execute({ sql: "INSERT INTO orders (sku, quantity, email) VALUES ('widget', 2, 'ann@example.org')" });
    await new SendEmailPlugin(t.tools).onBoot();
  });
  afterEach(() => t.close());

  it('writes the confirmation for the customer to the outbox', async () => {
    await t.tools.bus.publish({ topic: 'order.created', payload: { orderId: 1n, sku: 'widget', quantity: 2n, email: 'ann@example.org' } });
    await t.settle();
    const { rows } = await t.tools.db.query({ sql: 'SELECT order_id, channel, recipient, body FROM outbox' });
    expect(rows).toEqual([{ order_id: 1n, channel: 'email', recipient: 'ann@example.org', body: 'Thank you for your order #1: 2 × widget.' }]);
  });
});
