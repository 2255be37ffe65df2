import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { McError } from '../../../kernel/index.ts';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import { PARITY_BIG, PARITY_BYTES, PARITY_TEXT, ParityValuesPlugin } from './values.ts';

describe('parity/values', () => {
  let t: TestTools;
  beforeEach(async () => {
    t = await testTools({ identity: 'parity/values', migrations: ['domains/parity/migrations'] });
    await new ParityValuesPlugin(t.tools).onBoot();
  });
  afterEach(() => t.close());

  it('stores and returns exact values in one transaction', async () => {
    const row = await t.request('POST', '/parity/ts/values');
    expect(row).toEqual({ hosting: 'ts', big: PARITY_BIG, blob: PARITY_BYTES, absent: null, text: PARITY_TEXT });
    expect(await t.request('GET', '/parity/ts/count')).toEqual({ n: 1n });
    expect(t.metrics.recent().map((r) => `${r.tool}.${r.method}`)).toContain('db.transaction');
  });

  it('rolls back a transaction whose second statement fails', async () => {
    const err = await t.request('POST', '/parity/ts/tx-fail').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McError);
    expect((err as McError).code).toBe('MC_ERR_DB_QUERY');
    expect(await t.request('GET', '/parity/ts/count')).toEqual({ n: 0n });
  });

  it('passes a tool error through unchanged', async () => {
    await expect(t.request('GET', '/parity/ts/bad-sql')).rejects.toMatchObject({ code: 'MC_ERR_DB_QUERY' });
  });
});
