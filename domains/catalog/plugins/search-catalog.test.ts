import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import { SearchCatalogPlugin } from './search-catalog.ts';

let t: TestTools;
beforeEach(async () => {
  t = await testTools({ identity: 'catalog/search-catalog', migrations: ['domains/catalog/migrations'] });
  await new SearchCatalogPlugin(t.tools).onBoot();
});
afterEach(() => t.close());

const search = (query: Record<string, string>) => t.request('GET', '/catalog/search-ts', { query }) as Promise<{ results: { id: number; name: string; score: number }[] }>;

describe('catalog/search-catalog', () => {
  it('the migration seeds 10,000 products, the same ones every time', async () => {
    const { row } = await t.tools.db.queryOne({ sql: 'SELECT COUNT(*) AS n, COUNT(DISTINCT sku) AS skus, MIN(price_cents) AS low FROM products' });
    expect(row).toEqual({ n: 10000n, skus: 10000n, low: 199n });
    const { row: first } = await t.tools.db.queryOne({ sql: 'SELECT sku, name, brand, category FROM products WHERE id = 1' });
    expect(first).toEqual({ sku: 'NOR-00001', name: 'Adjustable Dumbbell Set Plus', brand: 'Northwind', category: 'Fitness' });
  });

  it('finds "Wireless Headphones" for "wireles hedphones", best first, at most limit', async () => {
    const { results } = await search({ q: 'wireles hedphones', limit: '20' });
    expect(results).toHaveLength(20);
    expect(results[0]!.name).toMatch(/^Wireless Headphones/);
    expect(results.every((r) => /Wireless Headphones/.test(r.name))).toBe(true);
    expect(results.map((r) => r.score)).toEqual([...results.map((r) => r.score)].sort((a, b) => b - a));
  });

  it('answers 20 by default, and from the index it built on the first search', async () => {
    expect((await search({ q: 'kettle' })).results).toHaveLength(20);
    // The catalog is read once: emptied afterwards, the table no longer matters.
    await t.tools.db.execute({ sql: 'DELETE FROM products' });
    expect((await search({ q: 'keybaord', limit: '3' })).results.map((r) => r.name)).toEqual(expect.arrayContaining([expect.stringMatching(/Keyboard/)]));
  });

  it('refuses a missing, blank or too long q and a limit outside 1–100 with MC_ERR_HTTP_VALIDATION', async () => {
    const queries: Record<string, string>[] = [{}, { q: '  ' }, { q: 'x'.repeat(201) }, { q: 'a', limit: '0' }, { q: 'a', limit: '101' }, { q: 'a', limit: 'ten' }, { q: 'a', limit: '+5' }];
    for (const query of queries) {
      await expect(search(query), JSON.stringify(query)).rejects.toMatchObject({ code: 'MC_ERR_HTTP_VALIDATION', message: expect.stringContaining('/catalog/search-ts') });
    }
  });
});
