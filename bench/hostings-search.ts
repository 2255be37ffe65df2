// The Rust search module (wasm-plugins/catalog-search, in the hosting its
// manifest sets) against its TypeScript twin (domains/catalog, GET
// /catalog/search-ts), end to end over HTTP: each in its own kernel in its own
// child process (project.server.ts), loaded by autocannon with the typed
// queries of fuzzy-search.ts. Twice: over the 10,000 products the example app
// seeds, and over 100,000 from the same generator. Issue 9's target (the Rust
// module ≥ 2× the twin's req/s at 10 connections) is for CPU-bound work, "the
// TS twin taking ≥ 1 ms per request on realistic data": on 10,000 products the
// twin's search costs ~0.1 ms and the crossing dominates, so the verdict is
// taken on 100,000 (the twin's CPU per request is printed beside it).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../test/project.ts';
import { QUERIES } from './fuzzy-search.ts';
import { canonicalJson, load, ServerChild, type Window } from './server-child.ts';
import { alternate, fmt, pairedRatio, summarize, type Bench, type BenchResult, type Row } from './stats.ts';

const ROUNDS = 5;
const SECONDS = 3;
const LIMIT = 20;
const WASM = join(REPO, 'wasm-plugins/catalog-search/catalog_search.wasm');
const copy = (path: string) => readFileSync(join(REPO, path), 'utf8');

const SEEDED = 10_000;
const LARGE = 100_000;

/** The catalog migration with `products` rows (the generator runs on; skus get a sixth digit past 99,999). */
function catalog(products: number): string {
  const sql = copy('domains/catalog/migrations/001_products.sql');
  const sized = sql.replace(`FROM rng WHERE i <= ${SEEDED})`, `FROM rng WHERE i <= ${products})`).replace("printf('%05d', d.i)", products > 99_999 ? "printf('%06d', d.i)" : "printf('%05d', d.i)");
  if (products !== SEEDED && sized === sql) throw new Error('domains/catalog/migrations/001_products.sql changed: bench/hostings-search.ts can no longer size the catalog');
  return sized;
}

function servers(products: number): { rust: ServerChild; ts: ServerChild; mode: string } {
  const manifest = JSON.parse(copy('wasm-plugins/catalog-search/plugin.json'));
  delete manifest.build;
  manifest.module = WASM;
  const migration = { 'domains/catalog/migrations/001_products.sql': catalog(products) };
  const rust = new ServerChild('Rust module', { files: { ...migration, 'wasm-plugins/catalog-search/plugin.json': JSON.stringify(manifest) }, item: 'wasm/catalog-search' });
  const ts = new ServerChild('TS twin', {
    files: { ...migration, 'domains/catalog/search-index.ts': copy('domains/catalog/search-index.ts'), 'domains/catalog/plugins/search-catalog.ts': copy('domains/catalog/plugins/search-catalog.ts') },
    item: 'catalog/search-catalog',
  });
  return { rust, ts, mode: manifest.mode ?? 'worker' };
}

const paths = (route: string) => QUERIES.map((q) => ({ method: 'GET', path: `${route}?${new URLSearchParams({ q, limit: String(LIMIT) })}` }));
const RUST = paths('/catalog/search');
const TS = paths('/catalog/search-ts');

/**
 * Builds the indexes (the first search of each wasm instance reads the catalog:
 * concurrent searches reach every instance of the pool) and checks both rank alike.
 */
async function warmAndCompare(rust: ServerChild, ts: ServerChild): Promise<void> {
  const get = async (s: ServerChild, path: string) => {
    const res = await fetch(`http://127.0.0.1:${s.port}${path}`);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${s.name} answered ${res.status} to ${path}: ${text.slice(0, 300)}`);
    return canonicalJson(text);
  };
  for (let round = 0; round < 3; round++) await Promise.all(RUST.slice(0, 16).map((p) => get(rust, p.path)));
  for (let i = 0; i < QUERIES.length; i += 7) {
    const [a, b] = await Promise.all([get(rust, RUST[i]!.path), get(ts, TS[i]!.path)]);
    if (a !== b) throw new Error(`the Rust module and the TS twin disagree on '${QUERIES[i]}': ${a.slice(0, 200)} vs ${b.slice(0, 200)}`);
  }
}

async function run(): Promise<BenchResult> {
  if (!existsSync(WASM)) {
    const why = `${WASM} is not built: run bash scripts/setup.sh (or npm run build), which needs a Rust toolchain for wasm32 and protoc`;
    return { rows: [], ratios: [], notes: [`SKIPPED: ${why}`], verdicts: [{ bench: 'hostings-search', what: 'Rust module vs TS twin, req/s at 10 conns', value: 'skipped (see notes)', target: '≥ 2×', meets: false }] };
  }
  const out: BenchResult = { rows: [], ratios: [], notes: [], verdicts: [] };
  for (const products of [SEEDED, LARGE]) {
    const one = await runAt(products);
    out.rows.push(...one.rows);
    out.ratios.push(...one.ratios);
    out.notes.push(...one.notes);
    if (products === LARGE) out.verdicts.push(...one.verdicts);
  }
  out.notes.push(
    `The verdict is taken on ${LARGE.toLocaleString('en')} products, where the twin's search is CPU-bound work (issue 9: "the TS twin takes ≥ 1 ms per request on realistic data"); on the ${SEEDED.toLocaleString('en')} the example app seeds it costs ~0.1 ms and the crossing dominates.`,
    'Both answer GET /catalog/search(-ts)?q=…&limit=20 for the typed queries of fuzzy-search.ts in turn, over real HTTP. Both indexes were built (every wasm instance\'s, by concurrent searches) and a few answers compared before timing. Server CPU counts every thread of the kernel process, the wasm workers included.',
  );
  return out;
}

async function runAt(products: number): Promise<BenchResult> {
  const { rust, ts, mode } = servers(products);
  const size = `${products.toLocaleString('en')} products`;
  try {
    await Promise.all([rust.ready(), ts.ready()]);
    await warmAndCompare(rust, ts);
    const one = await alternate({ rust: () => load(rust, RUST, { connections: 1, seconds: SECONDS }), ts: () => load(ts, TS, { connections: 1, seconds: SECONDS }) }, ROUNDS);
    const ten = await alternate({ rust: () => load(rust, RUST, { connections: 10, seconds: SECONDS }), ts: () => load(ts, TS, { connections: 10, seconds: SECONDS }) }, ROUNDS);
    const rows: Row[] = [];
    const add = (metric: string, unit: string, by: Record<'rust' | 'ts', Window[]>, k: keyof Window) => {
      rows.push({ metric, side: `Rust module (wasm, ${mode})`, unit, sample: summarize(by.rust.map((w) => w[k])) });
      rows.push({ metric: '', side: 'TS twin (native)', unit, sample: summarize(by.ts.map((w) => w[k])) });
    };
    add(`${size}: 1 conn, ${SECONDS} s`, 'req/s', one, 'reqPerS');
    add('    p50', 'ms', one, 'p50Ms');
    add('    server CPU per request', 'µs', one, 'cpuUsPerReq');
    add(`${size}: 10 conns, ${SECONDS} s`, 'req/s', ten, 'reqPerS');
    add('    p99', 'ms', ten, 'p99Ms');
    add('    server busy', 'cores', ten, 'cores');
    add('    server CPU per request', 'µs', ten, 'cpuUsPerReq');
    const at1 = pairedRatio(one.rust.map((w) => w.reqPerS), one.ts.map((w) => w.reqPerS), 'higher');
    const at10 = pairedRatio(ten.rust.map((w) => w.reqPerS), ten.ts.map((w) => w.reqPerS), 'higher');
    const twinCpu = summarize(one.ts.map((w) => w.cpuUsPerReq)).median;
    return {
      rows,
      ratios: [
        { what: `req/s Rust ÷ TS twin, ${size}, 1 conn`, sample: at1 },
        { what: `req/s Rust ÷ TS twin, ${size}, 10 conns`, sample: at10 },
      ],
      notes: [],
      verdicts: [{ bench: 'hostings-search', what: `Rust module vs TS twin, req/s at 10 conns, ${size} (twin: ${fmt(twinCpu)} µs CPU/request)`, value: `${fmt(at10.median)}×`, target: '≥ 2×', meets: at10.median >= 2 }],
    };
  } finally {
    await Promise.all([rust.stop(), ts.stop()]);
  }
}

export const bench: Bench = { name: 'hostings-search', title: 'the Rust search module vs its TS twin, end to end over HTTP', run };
