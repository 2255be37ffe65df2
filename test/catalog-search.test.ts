// The Rust wasm module (wasm-plugins/catalog-search, built by scripts/setup.sh)
// and its TypeScript twin (domains/catalog) through the real kernel and real
// HTTP, over the 10,000 products the migration seeds: the same ranked answers,
// typos forgiven, and the same refusals.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootProject, REPO, type TestProject } from './project.ts';

const WASM = 'wasm-plugins/catalog-search/catalog_search.wasm';
const vectors = JSON.parse(readFileSync(join(REPO, 'domains/catalog/search-vectors.json'), 'utf8')) as { searches: { query: string }[] };
const copy = (path: string) => readFileSync(join(REPO, path), 'utf8');
let project: TestProject;

beforeAll(async () => {
  if (!existsSync(join(REPO, WASM))) throw new Error(`${WASM} is not built: run bash scripts/setup.sh (it builds every sidecar and wasm module)`);
  const manifest = JSON.parse(copy('wasm-plugins/catalog-search/plugin.json'));
  delete manifest.build;
  manifest.module = join(REPO, WASM);
  project = await bootProject({
    'domains/catalog/migrations/001_products.sql': copy('domains/catalog/migrations/001_products.sql'),
    'domains/catalog/search-index.ts': copy('domains/catalog/search-index.ts'),
    'domains/catalog/plugins/search-catalog.ts': copy('domains/catalog/plugins/search-catalog.ts'),
    'wasm-plugins/catalog-search/plugin.json': JSON.stringify(manifest),
  }, { env: { AI_CONTEXT_PATH: 'off' } });
  expect(project.report.filter((i) => i.status !== 'ready'), JSON.stringify(project.report)).toEqual([]);
}, 60_000);
afterAll(() => project?.stop());

async function get(path: string, q: Record<string, string>) {
  const res = await fetch(`${project.url}${path}?${new URLSearchParams(q)}`);
  return { status: res.status, body: JSON.parse(await res.text()) };
}

describe('catalog search: Rust wasm module and TypeScript twin', () => {
  it('give identical ranked results for every shared vector query, over the seeded 10,000 products', async () => {
    for (const { query } of vectors.searches) {
      for (const limit of ['1', '20', '100']) {
        const rust = await get('/catalog/search', { q: query, limit });
        const ts = await get('/catalog/search-ts', { q: query, limit });
        expect(rust.status, `${query}: ${JSON.stringify(rust.body)}`).toBe(200);
        expect(rust.body, `${query} (limit ${limit})`).toEqual(ts.body);
      }
    }
  });

  it('forgive typos: "wireles hedphones" finds Wireless Headphones first, in both', async () => {
    for (const path of ['/catalog/search', '/catalog/search-ts']) {
      const { body } = await get(path, { q: 'wireles hedphones' });
      expect(body.results, path).toHaveLength(20);
      expect(body.results[0], path).toMatchObject({ name: expect.stringMatching(/^Wireless Headphones/), score: 1500 });
      expect(Object.keys(body.results[0]).sort()).toEqual(['id', 'name', 'score']);
    }
    const { body } = await get('/catalog/search', { q: 'muller sohne' });
    const top = body.results.slice(0, 3).map((r: { id: number }) => r.id);
    const { body: ts } = await get('/catalog/search-ts', { q: 'Müller Söhne', limit: '3' });
    expect(ts.results.map((r: { id: number }) => r.id)).toEqual(top); // diacritics folded in the query as in the catalog
    expect(body.results[0].score).toBe(1400); // brand weight 7 × exact 100, twice
  });

  it('refuse a missing or blank q and a limit outside 1–100 with 422 MC_ERR_HTTP_VALIDATION, in both', async () => {
    for (const path of ['/catalog/search', '/catalog/search-ts']) {
      for (const q of [{}, { q: ' ' }, { q: 'x'.repeat(201) }, { q: 'tent', limit: '0' }, { q: 'tent', limit: '101' }, { q: 'tent', limit: '2.5' }]) {
        const res = await get(path, q as Record<string, string>);
        expect(res.status, `${path} ${JSON.stringify(q)}`).toBe(422);
        expect(res.body.error.code, `${path} ${JSON.stringify(res.body)}`).toBe('MC_ERR_HTTP_VALIDATION');
      }
    }
  });
});
