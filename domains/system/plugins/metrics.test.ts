import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import { SystemMetricsPlugin } from './metrics.ts';

describe('GET /system/metrics', () => {
  let t: TestTools;
  beforeEach(async () => {
    t = await testTools({ identity: 'system/metrics' });
    await new SystemMetricsPlugin(t.tools).onBoot();
  });
  afterEach(() => t.close());

  it('returns recent calls newest first and totals per caller, tool and method', async () => {
    await t.tools.db.query({ sql: 'SELECT 1' });
    await t.tools.db.query({ sql: 'SELEC 1' }).catch(() => undefined);
    const body = (await t.request('GET', '/system/metrics')) as { recent: { tool: string; method: string; ok: boolean; code: string }[]; totals: { tool: string; method: string; count: bigint; errors: bigint }[] };
    expect(body.recent.slice(0, 2).map((r) => [r.tool, r.method, r.ok, r.code])).toEqual([
      ['db', 'query', false, 'MC_ERR_DB_QUERY'],
      ['db', 'query', true, ''],
    ]);
    expect(body.totals.find((x) => x.tool === 'db' && x.method === 'query')).toMatchObject({ count: 2n, errors: 1n });
  });
});
