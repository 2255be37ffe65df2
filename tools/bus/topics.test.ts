// Declared topics: the owner's schemas, checked for every hosting at the bus's
// edge (the conformance matrix runs the same through Go, Rust and wasm).
import { afterEach, describe, expect, it } from 'vitest';
import { testTools, type TestTools } from '../../kernel/testing.ts';
import { SubscriptionTable } from '../../kernel/subscription-table.ts';
import { Topics } from './topics.ts';

const ORDER = JSON.stringify({
  type: 'object',
  properties: { orderId: { type: 'integer' }, items: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer', minimum: 1 } }, required: ['sku', 'qty'] } } },
  required: ['orderId', 'items'],
});
const declare = (topics: Topics, owner: string, extra: Partial<{ payloadSchemaJson: string; replySchemaJson: string }> = {}) =>
  topics.declare({ topic: 'order.created', owner, summary: 'An order was placed.', payloadSchemaJson: ORDER, replySchemaJson: '', ...extra });

describe('Topics', () => {
  it('refuses a payload naming the field: a wrong type deep inside, a missing field, a field not declared', () => {
    const topics = new Topics(new SubscriptionTable());
    declare(topics, 'orders/create-order');
    expect(() => topics.check('order.created', 'payload', { orderId: 9007199254740993n, items: [{ sku: 'A', qty: 2n }] }, 'x')).not.toThrow();
    const refusal = (payload: unknown) => {
      try {
        topics.check('order.created', 'payload', payload as never, 'orders/create-order published');
      } catch (e) {
        return e as { code: string; message: string; details: Record<string, string> };
      }
      throw new Error('not refused');
    };
    const deep = refusal({ orderId: 1n, items: [{ sku: 'A', qty: 2n }, { sku: 'B', qty: 'two' }] });
    expect(deep.code).toBe('MC_ERR_BUS_SCHEMA');
    expect(deep.message).toContain("orders/create-order published on 'order.created': payload.items.1.qty must be integer");
    expect(deep.details).toMatchObject({ topic: 'order.created', owner: 'orders/create-order', part: 'payload' });
    expect(refusal({ items: [] }).message).toContain("payload must have required property 'orderId'");
    expect(refusal({ orderId: 1n, items: [{ sku: 'A', qty: 1n, colour: 'red' }] }).message).toContain("payload.items.0 has field 'colour', which the declaration does not name");
    expect(refusal({ orderId: 1n, items: [], total: 3 }).message).toContain("payload has field 'total'");
  });

  it('lets an open schema stay open, and leaves undeclared topics alone', () => {
    const topics = new Topics(new SubscriptionTable());
    declare(topics, 'o/p', { payloadSchemaJson: JSON.stringify({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: true }) });
    expect(() => topics.check('order.created', 'payload', { a: 'x', b: 1n }, 'x')).not.toThrow();
    expect(() => topics.check('other.topic', 'payload', { anything: new Uint8Array([1]) }, 'x')).not.toThrow();
  });

  it('has one owner per topic; the owner may declare again; the kernel topics are not declarable; bad schemas are refused', () => {
    const topics = new Topics(new SubscriptionTable());
    declare(topics, 'orders/create-order');
    expect(() => declare(topics, 'shop/other')).toThrow(expect.objectContaining({ code: 'MC_ERR_CONFLICT', message: expect.stringContaining("shop/other declared 'order.created', which orders/create-order already declared") }));
    expect(() => declare(topics, 'orders/create-order', { payloadSchemaJson: '' })).not.toThrow();
    expect(() => topics.declare({ topic: '_dlq.order.created', owner: 'a/b', summary: '', payloadSchemaJson: '', replySchemaJson: '' })).toThrow(expect.objectContaining({ code: 'MC_ERR_INVALID_ARGUMENT' }));
    expect(() => topics.declare({ topic: 'system.subscriber.dropped', owner: 'a/b', summary: '', payloadSchemaJson: '', replySchemaJson: '' })).toThrow(expect.objectContaining({ code: 'MC_ERR_INVALID_ARGUMENT' }));
    expect(() => declare(topics, 'orders/create-order', { payloadSchemaJson: '{nope' })).toThrow(expect.objectContaining({ message: expect.stringContaining('payloadSchemaJson that is not JSON') }));
    expect(() => declare(topics, 'orders/create-order', { payloadSchemaJson: '{"type":"nope"}' })).toThrow(expect.objectContaining({ message: expect.stringContaining('not a valid JSON Schema') }));
  });
});

describe('bus tool with a declared topic', () => {
  let t: TestTools | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('refuses a malformed publish before any subscriber sees it, and a reply that fails the reply schema', async () => {
    t = await testTools({ identity: 'shop/pricing' });
    const { tools } = t;
    const seen: unknown[] = [];
    await tools.bus.declareTopic({ topic: 'price.quote', payloadSchemaJson: JSON.stringify({ type: 'object', properties: { sku: { type: 'string' } }, required: ['sku'] }), replySchemaJson: JSON.stringify({ type: 'object', properties: { total: { type: 'integer' } }, required: ['total'] }), summary: 'A price for one sku.' });
    await tools.bus.subscribe({ topic: 'price.quote', handler: (env) => (seen.push(env.payload), (env.payload as { sku: string }).sku === 'bad' ? { total: 'lots' } : { total: 12n }) });
    await expect(tools.bus.publish({ topic: 'price.quote', payload: { sku: 7n } })).rejects.toMatchObject({ code: 'MC_ERR_BUS_SCHEMA', message: expect.stringContaining('payload.sku must be string') });
    await expect(tools.bus.request({ topic: 'price.quote', payload: { sku: 'a', extra: true } })).rejects.toMatchObject({ code: 'MC_ERR_BUS_SCHEMA', message: expect.stringContaining("payload has field 'extra'") });
    await t.settle();
    expect(seen).toEqual([]);
    expect(await tools.bus.request({ topic: 'price.quote', payload: { sku: 'a' } })).toEqual({ payload: { total: 12n } });
    await expect(tools.bus.request({ topic: 'price.quote', payload: { sku: 'bad' } })).rejects.toMatchObject({ code: 'MC_ERR_BUS_SCHEMA', details: { part: 'reply' }, message: expect.stringContaining('reply.total must be integer') });
  });
});
