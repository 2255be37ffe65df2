// Ranked, typo-tolerant search over the catalog: the TypeScript twin of
// wasm-plugins/catalog-search/src/search.rs. Both must rank exactly alike (the
// shared vectors in search-vectors.json hold them to it): change both, or neither.
//
// Products are cut into tokens (lower case, diacritics folded, runs of letters
// and digits). Each distinct token is a term with a posting list of the products
// holding it and the weight of the best field it appears in. A query token is
// matched against the terms that share enough bigrams with it (a lossless filter
// for the edit budget), then scored by one optimal-string-alignment table that
// gives both the whole-term and the best-prefix distance. A product's score is the
// sum, over query tokens, of its best term score × field weight; the top `limit`
// are kept in a small heap. Scores are integers so both languages agree exactly.

export interface Product {
  id: number;
  name: string;
  brand: string;
  category: string;
  sku: string;
}

export interface Hit {
  id: number;
  name: string;
  score: number;
}

// Field weights (×10): a name or sku hit counts more than a brand or category hit.
const NAME = 10;
const SKU = 10;
const BRAND = 7;
const CATEGORY = 6;
/** Query tokens past these limits are dropped or cut: they bound the work per query. */
export const MAX_QUERY_TOKENS = 8;
export const MAX_TOKEN_CHARS = 32;

const FOLDS: Record<string, string> = {};
for (const [from, to] of [
  ['àáâãäåāăą', 'a'], ['çćč', 'c'], ['ďđ', 'd'], ['èéêëēėęě', 'e'], ['ìíîïīı', 'i'], ['ñńň', 'n'],
  ['òóôõöøō', 'o'], ['ùúûüūů', 'u'], ['ýÿ', 'y'], ['śšş', 's'], ['źżž', 'z'], ['ł', 'l'], ['ř', 'r'],
  ['ğ', 'g'], ['ť', 't'], ['ß', 'ss'], ['æ', 'ae'], ['œ', 'oe'], ['þ', 'th'], ['ð', 'd'], ['ľĺ', 'l'],
] as const) {
  for (const ch of from) FOLDS[ch] = to;
}

/** Lower case with common Latin diacritics folded to ASCII ("Café" → "cafe"). */
export function fold(text: string): string {
  let out = '';
  // Character by character, as Rust's char::to_lowercase does (no context rules).
  for (const ch of text) for (const lower of ch.toLowerCase()) out += FOLDS[lower] ?? lower;
  return out;
}

/** The folded runs of letters and digits (Rust's char::is_alphanumeric). */
export function tokens(text: string): string[] {
  return fold(text).split(/[^\p{Alphabetic}\p{N}]+/u).filter((t) => t !== '');
}

/** Edits a query token may have and still match: none up to 3 letters, then 1, then 2 from 7. */
const maxEdits = (len: number) => (len <= 3 ? 0 : len <= 6 ? 1 : 2);

/** Distinct bigrams of a token, as two code points joined. */
function bigrams(chars: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (let i = 1; i < chars.length; i++) out.add(chars[i - 1]! + chars[i]!);
  return out;
}

// Three rows of the optimal-string-alignment table (i-2, i-1, i), reused by every call.
const ROWS = [new Uint8Array(MAX_TOKEN_CHARS + 3), new Uint8Array(MAX_TOKEN_CHARS + 3), new Uint8Array(MAX_TOKEN_CHARS + 3)];

/**
 * The score of term `t` for query token `q` (at least 2 code points), or 0 past the
 * edit budget: exact 100, prefix 80, then 70/60 for one edit (whole/prefix), 50/40 for two.
 * Tokens are arrays of code points, so a character outside the BMP is one position, as in Rust.
 */
export function termScore(q: Int32Array, t: Int32Array, k: number): number {
  const m = q.length;
  const n = Math.min(t.length, m + k);
  for (let j = 0; j <= n; j++) ROWS[0]![j] = j;
  for (let i = 1; i <= m; i++) {
    const cur = ROWS[i % 3]!, prev = ROWS[(i + 2) % 3]!, prev2 = ROWS[(i + 1) % 3]!;
    const qi = q[i - 1]!;
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const tj = t[j - 1]!;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (qi === tj ? 0 : 1));
      if (i > 1 && j > 1 && qi === t[j - 2] && q[i - 2] === tj) d = Math.min(d, prev2[j - 2]! + 1);
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    // Row minima never fall by more than they rose: once a row is past k, every
    // later row is too (a transposition reaches back two rows, but adds one).
    if (rowMin > k) return 0;
  }
  const last = ROWS[m % 3]!;
  const whole = t.length <= n ? last[n]! : Infinity;
  let prefix = Infinity;
  for (let j = 0; j <= n; j++) prefix = Math.min(prefix, last[j]!);
  if (whole === 0) return 100;
  if (prefix === 0) return 80;
  if (k >= 1 && whole === 1) return 70;
  if (k >= 1 && prefix === 1) return 60;
  if (k >= 2 && whole === 2) return 50;
  if (k >= 2 && prefix === 2) return 40;
  return 0;
}

const codePoints = (token: string) => Int32Array.from(token, (ch) => ch.codePointAt(0)!);

export class SearchIndex {
  readonly #products: readonly Product[];
  /** How many tokens each product's name has: fewer wins a tie (a closer match). */
  readonly #nameTokens: Uint16Array;
  readonly #terms: Int32Array[] = [];
  readonly #termIds = new Map<string, number>();
  /** Per term: product indexes and their best field weights, side by side. */
  readonly #postings: { products: number[]; weights: number[] }[] = [];
  /** Per bigram: the terms holding it, each once. */
  readonly #bigrams = new Map<string, number[]>();
  // Scratch, kept between queries so a search allocates little.
  #shared = new Uint16Array(0);
  readonly #best: Uint32Array;
  readonly #total: Uint32Array;

  constructor(products: readonly Product[]) {
    this.#products = products;
    this.#nameTokens = new Uint16Array(products.length);
    this.#best = new Uint32Array(products.length);
    this.#total = new Uint32Array(products.length);
    products.forEach((product, p) => {
      const names = tokens(product.name);
      this.#nameTokens[p] = names.length;
      const fields: [string[], number][] = [[names, NAME], [tokens(product.sku), SKU], [tokens(product.brand), BRAND], [tokens(product.category), CATEGORY]];
      for (const [field, weight] of fields) for (const token of field) this.#add(token, p, weight);
    });
    this.#shared = new Uint16Array(this.#terms.length);
  }

  get size(): number {
    return this.#products.length;
  }

  #add(token: string, product: number, weight: number): void {
    let id = this.#termIds.get(token);
    if (id === undefined) {
      id = this.#terms.length;
      for (const gram of bigrams([...token])) {
        const list = this.#bigrams.get(gram);
        if (list) list.push(id);
        else this.#bigrams.set(gram, [id]);
      }
      this.#terms.push(codePoints(token));
      this.#postings.push({ products: [], weights: [] });
      this.#termIds.set(token, id);
    }
    const { products, weights } = this.#postings[id]!;
    const last = products.length - 1;
    if (products[last] === product) weights[last] = Math.max(weights[last]!, weight);
    else {
      products.push(product);
      weights.push(weight);
    }
  }

  /** The matching terms of one query token, as [term, score] pairs. */
  #matches(q: string): [number, number][] {
    const chars = [...q];
    if (chars.length < 2) {
      const id = this.#termIds.get(q);
      return id === undefined ? [] : [[id, 100]];
    }
    const k = maxEdits(chars.length);
    const grams = bigrams(chars);
    // An edit changes at most 3 of a token's bigrams (a transposition), so a
    // term within k edits of q, or of its prefix, shares all but 3k of them.
    const needed = Math.max(1, grams.size - 3 * k);
    const touched: number[] = [];
    for (const gram of grams) {
      for (const term of this.#bigrams.get(gram) ?? []) {
        if (this.#shared[term] === 0) touched.push(term);
        this.#shared[term]!++;
      }
    }
    const codes = codePoints(q);
    const out: [number, number][] = [];
    for (const term of touched) {
      if (this.#shared[term]! >= needed) {
        const score = termScore(codes, this.#terms[term]!, k);
        if (score > 0) out.push([term, score]);
      }
      this.#shared[term] = 0;
    }
    return out;
  }

  /** The best `limit` products for `query`, best first; ties go to the shorter name, then the lower id. */
  search(query: string, limit: number): Hit[] {
    const seen: string[] = [];
    for (const token of tokens(query)) {
      const cut = [...token].slice(0, MAX_TOKEN_CHARS).join('');
      if (!seen.includes(cut) && seen.length < MAX_QUERY_TOKENS) seen.push(cut);
    }
    const best = this.#best, total = this.#total;
    const scored: number[] = [];
    for (const q of seen) {
      const hit: number[] = [];
      for (const [term, score] of this.#matches(q)) {
        const { products, weights } = this.#postings[term]!;
        for (let i = 0; i < products.length; i++) {
          const p = products[i]!, value = score * weights[i]!;
          if (best[p] === 0) hit.push(p);
          if (value > best[p]!) best[p] = value;
        }
      }
      for (const p of hit) {
        if (total[p] === 0) scored.push(p);
        total[p]! += best[p]!;
        best[p] = 0;
      }
    }
    const heap = new TopK(limit, (a, b) => this.#better(a, b));
    for (const p of scored) heap.offer(p);
    const hits = heap.sorted().map((p) => ({ id: this.#products[p]!.id, name: this.#products[p]!.name, score: total[p]! }));
    for (const p of scored) total[p] = 0;
    return hits;
  }

  /** Product a ranks above b: higher score, then fewer name tokens, then lower id. */
  #better(a: number, b: number): boolean {
    const total = this.#total;
    if (total[a] !== total[b]) return total[a]! > total[b]!;
    if (this.#nameTokens[a] !== this.#nameTokens[b]) return this.#nameTokens[a]! < this.#nameTokens[b]!;
    return this.#products[a]!.id < this.#products[b]!.id;
  }
}

/** The best k items offered: a binary min-heap (worst on top) of at most k. */
class TopK {
  readonly #items: number[] = [];
  readonly k: number;
  readonly better: (a: number, b: number) => boolean;
  constructor(k: number, better: (a: number, b: number) => boolean) {
    this.k = k;
    this.better = better;
  }

  offer(item: number): void {
    const items = this.#items;
    if (items.length < this.k) {
      items.push(item);
      for (let i = items.length - 1, up = (i - 1) >> 1; i > 0 && this.better(items[up]!, items[i]!); i = up, up = (i - 1) >> 1) {
        [items[i], items[up]] = [items[up]!, items[i]!];
      }
    } else if (this.k > 0 && this.better(item, items[0]!)) {
      items[0] = item;
      this.#siftDown(0);
    }
  }

  #siftDown(i: number): void {
    const items = this.#items;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let worst = i;
      if (l < items.length && this.better(items[worst]!, items[l]!)) worst = l;
      if (r < items.length && this.better(items[worst]!, items[r]!)) worst = r;
      if (worst === i) return;
      [items[i], items[worst]] = [items[worst]!, items[i]!];
      i = worst;
    }
  }

  /** Best first. */
  sorted(): number[] {
    return [...this.#items].sort((a, b) => (this.better(a, b) ? -1 : 1));
  }
}
