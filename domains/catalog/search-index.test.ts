// The TypeScript twin against the vectors the Rust module's cargo test reads too
// (search-vectors.json): same tokens, same ranked ids, same scores.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fold, SearchIndex, termScore, tokens, type Product } from './search-index.ts';

interface Vectors {
  tokens: { text: string; tokens: string[] }[];
  products: Product[];
  searches: { query: string; limit: number; expected: { id: number; score: number }[] }[];
}
const vectors = JSON.parse(readFileSync(join(import.meta.dirname, 'search-vectors.json'), 'utf8')) as Vectors;
const codes = (s: string) => Int32Array.from(s, (ch) => ch.codePointAt(0)!);

describe('catalog search (TypeScript twin)', () => {
  it('cuts text into the shared vectors\' tokens: lower case, diacritics folded, letters and digits', () => {
    for (const v of vectors.tokens) expect(tokens(v.text), v.text).toEqual(v.tokens);
    expect(fold('Crème BRÛLÉE')).toBe('creme brulee');
  });

  it('ranks every shared vector exactly as the Rust module does', () => {
    const index = new SearchIndex(vectors.products);
    for (const v of vectors.searches) {
      expect(index.search(v.query, v.limit).map(({ id, score }) => ({ id, score })), v.query).toEqual(v.expected);
    }
  });

  it('scores exact, prefix and one- or two-edit matches, and a transposition as one edit', () => {
    expect(termScore(codes('headphones'), codes('headphones'), 2)).toBe(100);
    expect(termScore(codes('headph'), codes('headphones'), 1)).toBe(80);
    expect(termScore(codes('hedphones'), codes('headphones'), 2)).toBe(70);
    expect(termScore(codes('headphnoes'), codes('headphones'), 2)).toBe(70);
    expect(termScore(codes('hedph'), codes('headphones'), 1)).toBe(60);
    expect(termScore(codes('hdphnes'), codes('headphones'), 2)).toBe(0);
    expect(termScore(codes('mause'), codes('mouse'), 1)).toBe(70);
    expect(termScore(codes('mice'), codes('mouse'), 1)).toBe(0);
  });

  it('keeps a search independent of the ones before it (scratch buffers are reset)', () => {
    const index = new SearchIndex(vectors.products);
    const first = index.search('wireless headphones', 5);
    index.search('smart kitchen copper', 10);
    expect(index.search('wireless headphones', 5)).toEqual(first);
  });
});
