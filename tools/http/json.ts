// JSON that keeps MicroCore's values exact. Parsing: whole-number literals
// become bigint (a JS number would round past 2^53), and anything no hosting can
// hold is refused naming its place in the body: an integer outside int64, a
// number past a double (1e400 would become Infinity, then null), a string with a
// lone surrogate, lists and maps nested past MAX_VALUE_DEPTH. Where the route's
// body schema says `number` (not `integer`), a whole number stays a JS number,
// as a native plugin's static type says (kernel/schema-types.ts Wire<S>).
// Rendering: bigint as its exact digits, bytes as base64.
import { INT64_MAX, INT64_MIN, MAX_VALUE_DEPTH, mcError, reshapeBySchema, type JsValue } from '../../kernel/index.ts';

const INTEGER = /^-?\d+$/;

/** A number in the text that no Value holds; found and named by checkBody. */
class Unheld {
  readonly source: string;
  readonly why: string;
  /** The double JSON.parse read: what a `number` field holds. */
  readonly double: number;
  constructor(source: string, why: string, double: number) {
    this.source = source;
    this.why = why;
    this.double = double;
  }
}

/** Parses a request body; `what` names it in errors ("the body of POST /orders"); `schema` is the route's body schema. */
export function parseExactJson(text: string, what = 'the body', schema?: object): JsValue {
  checkDepth(text, what);
  const value = JSON.parse(text, (key, value, context?: { source?: string }) => {
    // A "__proto__" key becomes a prototype as soon as anyone copies the object.
    if (key === '__proto__') throw new SyntaxError('a key named "__proto__" is not accepted');
    if (typeof value !== 'number') return value;
    const source = context?.source ?? String(value);
    if (INTEGER.test(source)) {
      const n = BigInt(source);
      return n < INT64_MIN || n > INT64_MAX ? new Unheld(source, 'an integer outside int64', value) : n;
    }
    return Number.isFinite(value) ? value : new Unheld(source, 'a number past the range of a double', value);
  }) as unknown;
  const shaped = schema ? asNumbers(value, schema) : value;
  checkBody(shaped, what);
  return shaped as JsValue;
}

/** Whole numbers where the schema says `number` (and not `integer`): the doubles JSON.parse read. */
function asNumbers(value: unknown, schema: unknown): unknown {
  return reshapeBySchema(schema, value, numberLeaf);
}

function numberLeaf(value: unknown, types: unknown[]): unknown {
  if (!types.includes('number') || types.includes('integer')) return value;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Unheld && Number.isFinite(value.double)) return value.double;
  return value;
}

// Before parsing: JSON.parse with a reviver recurses per level, so a body nested
// thousands deep must be refused from its text.
function checkDepth(text: string, what: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_VALUE_DEPTH) {
        throw mcError('MC_ERR_HTTP_MALFORMED', `${what} nests lists and objects deeper than ${MAX_VALUE_DEPTH} levels (at character ${i})`, { limit: String(MAX_VALUE_DEPTH) });
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
}

function checkBody(root: unknown, what: string): void {
  const stack: { v: unknown; path: string }[] = [{ v: root, path: '' }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (v instanceof Unheld) throw refused(what, path, `is ${v.why} (${v.source.slice(0, 40)})`);
    if (typeof v === 'string') {
      if (!v.isWellFormed()) throw refused(what, path, 'holds a lone UTF-16 surrogate, which is not text');
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    for (const [key, item] of Object.entries(v)) {
      if (!key.isWellFormed()) throw refused(what, path, 'has a key with a lone UTF-16 surrogate');
      stack.push({ v: item, path: `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}` });
    }
  }
}

function refused(what: string, path: string, why: string) {
  return mcError('MC_ERR_HTTP_VALIDATION', `${what}: ${path || '/'} ${why}`, { field: path || '/' }, undefined, 'Send values every hosting can hold: integers within int64, finite numbers, well-formed text (docs/protocol.md, "Values").');
}

const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/**
 * JSON text of a handler's answer: bigints as their exact digits, bytes as
 * base64. The body goes to JSON.stringify as it is when it holds neither (most
 * do: nothing is copied); otherwise the containers on the way to them are
 * copied with those values swapped for JSON.rawJSON text and base64 — faster
 * than a replacer, which takes JSON.stringify off its fast path for every body.
 */
export function renderJson(value: unknown): string {
  const text = JSON.stringify(jsonReady(value));
  return text === undefined ? 'null' : text;
}

/** `v` itself when JSON.stringify writes it as renderJson must, else a copy that it does. */
function jsonReady(v: unknown): unknown {
  if (typeof v === 'bigint') return rawJSON(v.toString());
  if (typeof v !== 'object' || v === null) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  const toJSON = (v as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return jsonReady(toJSON.call(v));
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const item = jsonReady(v[i]);
      if (item !== v[i]) (out ??= v.slice())[i] = item;
    }
    return out ?? v;
  }
  // What a Buffer's toJSON() gives.
  const b = v as { type?: unknown; data?: unknown };
  if (b.type === 'Buffer' && Array.isArray(b.data)) return Buffer.from(b.data as number[]).toString('base64');
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(v)) {
    const item = (v as Record<string, unknown>)[k];
    const ready = jsonReady(item);
    if (ready !== item) (out ??= { ...v })[k] = ready;
  }
  return out ?? v;
}
