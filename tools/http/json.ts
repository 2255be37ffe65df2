// JSON that keeps MicroCore's values exact. Parsing: whole-number literals
// become bigint (a JS number would round past 2^53). Rendering: bigint as its
// exact digits, bytes as base64.
import type { JsValue } from '../../kernel/index.ts';

const INTEGER = /^-?\d+$/;

export function parseExactJson(text: string): JsValue {
  return JSON.parse(text, (key, value, context?: { source?: string }) => {
    // A "__proto__" key becomes a prototype as soon as anyone copies the object.
    if (key === '__proto__') throw new SyntaxError('a key named "__proto__" is not accepted');
    return typeof value === 'number' && context?.source !== undefined && INTEGER.test(context.source) ? BigInt(context.source) : value;
  }) as JsValue;
}

export function renderJson(value: unknown): string {
  // Bigints pass through JSON.stringify as marked strings, then lose the quotes.
  const marked = JSON.stringify(value, (_key, v) => {
    if (typeof v === 'bigint') return `\u0000big:${v}\u0000`;
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
    if (v && typeof v === 'object' && v.type === 'Buffer' && Array.isArray(v.data)) return Buffer.from(v.data).toString('base64');
    return v;
  });
  return marked === undefined ? 'null' : marked.replace(/"\\u0000big:(-?\d+)\\u0000"/g, '$1');
}
