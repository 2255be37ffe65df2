// Ranked fuzzy search over the seeded catalog (domains/catalog, 10,000 products):
// the TypeScript twin (domains/catalog/search-index.ts) against fuse.js on the
// same products and the same typed queries, top 20 each. Also measured, with no
// target: the Rust algorithm compiled to wasm, answering GET /catalog/search
// through the kernel's invoke path (worker and main thread), and the same Rust
// compiled natively (wasm-plugins/catalog-search/examples/native-bench.rs) when
// cargo is on PATH.
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fuse from 'fuse.js';
import { SearchIndex, type Product } from '../domains/catalog/search-index.ts';
import { bootProject, REPO, type TestProject } from '../test/project.ts';
import { alternate, fmt, pairedRatio, summarize, type Bench, type BenchResult, type Row } from './stats.ts';

const ROUNDS = 5;
const LIMIT = 20;
const MIGRATION = join(REPO, 'domains/catalog/migrations/001_products.sql');
/** What people type: whole words, prefixes, typos, transpositions, brands, skus, several words. */
export const QUERIES = [
  'wireless headphones', 'wireles hedphones', 'headphnoes', 'noise cancelling', 'bluetooth speaker', 'earbuds',
  'mechanical keyboard', 'keybaord', 'gaming mouse', 'ergonomic chair', 'office chiar', 'standing desk',
  'coffee maker', 'cofee maker', 'cast iron pan', 'chef knife', 'kettle', 'frying pan nonstick',
  'sleeping bag', 'hiking boots', 'waterproof tent', 'backpak', 'headlamp', 'water bottle insulated',
  'yoga mat', 'dumbell set', 'running shoes', 'fitness tracker', 'smartwatch', 'smart ring',
  'muller', 'cafe royal', 'nordisk', 'fjallrav backpack', 'lumiere lamp', 'senor tech charger',
  'power bank', 'phone case leather', 'usb-c charger', 'air purifer', 'vacuum cleaner', 'thermostat',
  'racing wheel', 'arcade stick', 'controller pro', 'fountain pen', 'paper shreder', 'desk lamp led',
  'son-00042', 'ultra', 'mini', 'pro max', 'hed', 'wirless earbds', 'webcam 4k', 'monitor',
];

function loadProducts(): Product[] {
  const db = new Database(':memory:');
  db.exec(readFileSync(MIGRATION, 'utf8'));
  const rows = db.prepare('SELECT id, name, brand, category, sku FROM products ORDER BY id').all() as Product[];
  db.close();
  return rows;
}

/** Queries per second for `passes` passes over QUERIES. */
async function qps(passes: number, one: (q: string) => unknown): Promise<number> {
  const t0 = performance.now();
  for (let p = 0; p < passes; p++) for (const q of QUERIES) await one(q);
  return (passes * QUERIES.length * 1000) / (performance.now() - t0);
}

async function bootWasm(mode: 'worker' | 'main'): Promise<TestProject> {
  const manifest = JSON.parse(readFileSync(join(REPO, 'wasm-plugins/catalog-search/plugin.json'), 'utf8'));
  delete manifest.build;
  manifest.module = join(REPO, 'wasm-plugins/catalog-search/catalog_search.wasm');
  manifest.mode = mode;
  const project = await bootProject({ 'domains/catalog/migrations/001.sql': readFileSync(MIGRATION, 'utf8'), 'wasm-plugins/catalog-search/plugin.json': JSON.stringify(manifest) }, { env: { AI_CONTEXT_PATH: 'off' } });
  if (project.item('wasm/catalog-search')?.status !== 'ready') throw new Error(`catalog-search (${mode}) did not boot: ${project.item('wasm/catalog-search')?.reason}`);
  return project;
}

/** GET /catalog/search through the kernel's invoke path (no HTTP), as wasm-modes does. */
function wasmSearch(p: TestProject): (q: string) => Promise<unknown> {
  const route = p.kernel.routes.get('GET', '/catalog/search')!;
  return async (q) => p.kernel.invoke(route.owner, route.handlerId, { case: 'http', value: { method: 'GET', route: route.path, url: route.path, params: {}, query: { q, limit: String(LIMIT) }, headers: {}, body: null, requestId: 'bench', streamId: '', auth: null } });
}

/** The Rust algorithm built natively (release), run over the same products and queries; undefined without cargo. */
function nativeRust(products: Product[], notes: string[]): number | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'mc-fuzzy-'));
  try {
    writeFileSync(join(dir, 'products.json'), JSON.stringify(products));
    writeFileSync(join(dir, 'queries.json'), JSON.stringify(QUERIES));
    const out = execFileSync('cargo', ['run', '--quiet', '--release', '--example', 'native-bench', '--', join(dir, 'products.json'), join(dir, 'queries.json'), String(LIMIT)], {
      cwd: join(REPO, 'wasm-plugins/catalog-search'),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return Number(/qps (\S+)/.exec(out)![1]);
  } catch (err) {
    notes.push(`native Rust not measured: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function run(): Promise<BenchResult> {
  const products = loadProducts();
  const twin = new SearchIndex(products);
  // fuse.js as its README sets it up for a catalog: weighted keys, diacritics ignored, a limit.
  const fuse = new Fuse(products, { keys: [{ name: 'name', weight: 2 }, 'brand', 'category', 'sku'], includeScore: true, ignoreDiacritics: true });
  const notes: string[] = [];
  const top = (q: string) => `'${q}' → twin: ${twin.search(q, 1)[0]?.name ?? '(none)'}; fuse.js: ${fuse.search(q, { limit: 1 })[0]?.item.name ?? '(none)'}`;
  notes.push(`top hit, ${top('wireles hedphones')}`, `top hit, ${top('cofee maker')}`, `top hit, ${top('fjallrav backpack')}`);

  const sides = await alternate({ twin: () => qps(3, (q) => twin.search(q, LIMIT)), fuse: () => qps(1, (q) => fuse.search(q, { limit: LIMIT })) }, ROUNDS);
  const ratio = pairedRatio(sides.twin, sides.fuse, 'higher');
  const rows: Row[] = [
    { metric: `top ${LIMIT} of ${products.length.toLocaleString('en-US')}, ${QUERIES.length} queries`, side: 'TS twin (domains/catalog)', unit: 'queries/s', sample: summarize(sides.twin) },
    { metric: '', side: 'fuse.js 7', unit: 'queries/s', sample: summarize(sides.fuse) },
  ];

  const worker = await bootWasm('worker');
  const main = await bootWasm('main');
  try {
    const viaWorker = wasmSearch(worker), viaMain = wasmSearch(main);
    // The first search builds the module's index (one Db.Query of every product).
    const t0 = performance.now();
    await viaWorker('warm');
    notes.push(`wasm worker: the first search read and indexed the catalog in ${fmt(performance.now() - t0)} ms`);
    const wasm = await alternate({ worker: () => qps(3, viaWorker), main: () => qps(3, viaMain) }, ROUNDS);
    rows.push({ metric: '', side: 'Rust → wasm, worker (invoke path)', unit: 'queries/s', sample: summarize(wasm.worker) });
    rows.push({ metric: '', side: 'Rust → wasm, main thread (invoke path)', unit: 'queries/s', sample: summarize(wasm.main) });
  } finally {
    await worker.stop();
    await main.stop();
  }
  const native = nativeRust(products, notes);
  if (native !== undefined) rows.push({ metric: '', side: 'Rust native (release, one run)', unit: 'queries/s', sample: summarize([native]) });
  notes.push('The wasm rows include the kernel invoke path and, in a worker, a thread crossing per call; the native row is the algorithm alone.');

  return {
    rows,
    ratios: [{ what: 'TS twin ÷ fuse.js (queries/s)', sample: ratio }],
    notes,
    verdicts: [{ bench: 'fuzzy-search', what: 'TS twin vs fuse.js, queries/s', value: `${fmt(ratio.median)}×`, target: '≥ 1×', meets: ratio.median >= 1 }],
  };
}

export const bench: Bench = { name: 'fuzzy-search', title: 'ranked typo-tolerant catalog search — the TS twin vs fuse.js, and the Rust module', run };
