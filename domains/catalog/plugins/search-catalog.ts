// GET /catalog/search-ts?q=...&limit=20: the TypeScript twin of the Rust wasm
// module's GET /catalog/search (wasm-plugins/catalog-search), the same algorithm
// (../search-index.ts) over the same products table, answering the same body.
// The index is built on the first search and kept; the catalog has no write
// endpoints yet, so nothing invalidates it (NOTES.md).
import { mcError, type Tools } from '../../../kernel/index.ts';
import { SearchIndex, type Hit, type Product } from '../search-index.ts';

const ROUTE = '/catalog/search-ts';
/** limit when the query string has none, and the most it may ask for. */
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
/** Longer queries are refused rather than cut, so a client learns the bound. */
const MAX_QUERY_CHARS = 200;

/** Word for word the Rust module's RESPONSE_SCHEMA: the twins answer alike. */
export const SEARCH_RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    results: { type: 'array', items: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' }, score: { type: 'integer' } } } },
  },
};

export class SearchCatalogPlugin {
  #http: Tools['http'];
  #db: Tools['db'];
  #logger: Tools['logger'];
  /** Shared by concurrent first searches, so the catalog is read once. */
  #index: Promise<SearchIndex> | undefined;

  constructor({ http, db, logger }: Tools) {
    this.#http = http;
    this.#db = db;
    this.#logger = logger;
  }

  async onBoot(): Promise<void> {
    await this.#http.addEndpoint({
      method: 'GET',
      path: ROUTE,
      summary: 'Search the catalog: the best matches for q, typos forgiven (TypeScript twin of /catalog/search)',
      response: SEARCH_RESPONSE_SCHEMA,
      handler: (req) => this.search(req.query),
    });
  }

  async search(query: Record<string, string>): Promise<{ results: Hit[] }> {
    const { q, limit } = parse(query);
    const index = await (this.#index ??= this.#load().catch((err: unknown) => {
      this.#index = undefined; // the next search tries again
      throw err;
    }));
    return { results: index.search(q, limit) };
  }

  async #load(): Promise<SearchIndex> {
    const { rows } = await this.#db.query({ sql: 'SELECT id, name, brand, category, sku FROM products ORDER BY id' });
    const products: Product[] = rows.map((r) => ({ id: Number(r.id), name: String(r.name), brand: String(r.brand), category: String(r.category), sku: String(r.sku) }));
    await this.#logger.log({ message: 'catalog indexed', fields: { products: products.length } });
    return new SearchIndex(products);
  }
}

/** q (required, 1–200 characters, not only spaces) and limit (1–100, default 20). */
function parse(query: Record<string, string>): { q: string; limit: number } {
  const q = query.q ?? '';
  const chars = [...q].length;
  if (q.trim() === '' || chars > MAX_QUERY_CHARS) {
    throw invalid(`query parameter q must be 1 to ${MAX_QUERY_CHARS} characters and not blank (received ${chars} characters)`);
  }
  if (query.limit === undefined) return { q, limit: DEFAULT_LIMIT };
  const limit = /^\d+$/.test(query.limit) ? Number(query.limit) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) throw invalid(`query parameter limit must be a whole number from 1 to ${MAX_LIMIT} (received '${query.limit}')`);
  return { q, limit };
}

const invalid = (what: string) => mcError('MC_ERR_HTTP_VALIDATION', `catalog/search-catalog GET ${ROUTE}: ${what}`, { route: ROUTE }, undefined, 'Send ?q=<text to find>, and &limit=<1 to 100> to get other than 20 results.');
