import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import { SystemEventsPlugin } from './events.ts';

describe('GET /system/events', () => {
  let t: TestTools;
  beforeEach(async () => {
    t = await testTools({ identity: 'system/events' });
    await new SystemEventsPlugin(t.tools).onBoot();
  });
  afterEach(() => t.close());

  it('lists topics with subscribers, publishers and how often they fired', async () => {
    await t.tools.bus.subscribe({ topic: 'order.created', handler: () => null });
    await t.tools.bus.publish({ topic: 'order.created', payload: { id: 1n, total: 2.5 } });
    await t.tools.bus.publish({ topic: 'order.created', payload: { id: 2n } });
    await t.settle();
    const body = (await t.request('GET', '/system/events')) as { topics: unknown[] };
    expect(body.topics).toEqual([{ topic: 'order.created', subscribers: ['system/events'], publishers: ['system/events'], timesFired: 2n, payloadKeys: ['id'] }]);
  });
});
