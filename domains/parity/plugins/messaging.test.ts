import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import { ParityMessagingPlugin } from './messaging.ts';
import { PARITY_BIG, PARITY_BYTES, PARITY_TEXT } from './values.ts';

describe('parity/messaging', () => {
  let t: TestTools;
  beforeEach(async () => {
    t = await testTools({ identity: 'parity/messaging', migrations: ['domains/parity/migrations'] });
    await new ParityMessagingPlugin(t.tools).onBoot();
  });
  afterEach(() => t.close());

  it('subscribes to its echo topic and to the broadcast', () => {
    expect(t.subscriptions.list().map((s) => [s.topic, s.broadcast])).toEqual([
      ['parity.broadcast', true],
      ['parity.ts.echo', false],
    ]);
  });

  it('requests an echo and gets the exact values back', async () => {
    const reply = await t.request('POST', '/parity/ts/request/:to', { params: { to: 'ts' } });
    expect(reply).toEqual({ big: PARITY_BIG, blob: PARITY_BYTES, absent: null, text: PARITY_TEXT, from: 'ts' });
  });

  it('publishes the broadcast and records it in its own handler', async () => {
    const { id } = (await t.request('POST', '/parity/ts/publish')) as { id: string };
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await t.settle();
    const { rows } = await t.tools.db.query({ sql: "SELECT text FROM parity_items WHERE hosting = 'ts'" });
    expect(rows).toEqual([{ text: 'event:parity/messaging' }]);
  });
});
