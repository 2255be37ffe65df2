// The native proxy's half of "schemas as values" (schema-types.ts): before a
// call reaches the contract, schema objects become the wire's `*SchemaJson`
// text and topic values their names; after, what a handler receives (a body,
// params, query, an event's payload, a request's reply) is shaped to the
// static type its schema gives (Wire<S>): integer → bigint, number → number,
// boolean → boolean, as the values' text or int64 arrived.
import { mcError } from './errors.ts';
import { isTopic } from './schema-types.ts';

/** Schema slots of a method: the field a native plugin passes an object in, and its wire field. */
const SLOTS: Record<string, Record<string, string>> = {
  'http.addEndpoint': { body: 'bodySchemaJson', params: 'paramsSchemaJson', query: 'querySchemaJson', response: 'responseSchemaJson' },
  'bus.declareTopic': { payload: 'payloadSchemaJson', reply: 'replySchemaJson' },
};
const TOPIC_METHODS = new Set(['bus.declareTopic', 'bus.publish', 'bus.subscribe', 'bus.request']);

type Input = Record<string, unknown>;
type Handler = (input: unknown) => unknown;

/** Whether a method takes schema objects or topic values at all: most do not, and skip schemaInput. */
export function takesSchemas(where: string): boolean {
  return where in SLOTS || TOPIC_METHODS.has(where);
}

/** The input as the contract takes it, and how to shape the call's output (bus.request's reply). */
export function schemaInput(where: string, caller: string, input: unknown): { input: unknown; output?: (out: unknown) => unknown } {
  const slots = SLOTS[where];
  if (typeof input !== 'object' || input === null) return { input };
  // The hot path (every other call, a publish by topic name): nothing to do.
  if (!slots && !(TOPIC_METHODS.has(where) && isTopic((input as Input).topic))) return { input };
  const wire: Input = { ...(input as Input) };
  const schemas: Record<string, object> = {};
  if (TOPIC_METHODS.has(where) && isTopic(wire.topic)) {
    const t = wire.topic;
    wire.topic = t.topic;
    if (where === 'bus.declareTopic') {
      for (const part of ['payload', 'reply'] as const) {
        if (t[part] === undefined) continue;
        if (wire[part] !== undefined) throw twice(where, caller, part, `the topic value's ${part} schema`);
        wire[part] = t[part];
      }
    }
    if (t.payload) schemas.payload = t.payload;
    if (t.reply) schemas.reply = t.reply;
  }
  for (const [slot, field] of Object.entries(slots ?? {})) {
    const schema = wire[slot];
    delete wire[slot];
    if (schema === undefined) continue;
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      throw mcError('MC_ERR_INVALID_ARGUMENT', `${caller} gave ${where} a '${slot}' that is not a schema object (got ${Array.isArray(schema) ? 'a list' : typeof schema})`, { plugin: caller, field: `${where}.${slot}` }, undefined, `Pass a JSON Schema object (e.g. TypeBox's Type.Object({...})) as '${slot}', or its JSON text as '${field}'.`);
    }
    if (wire[field]) throw twice(where, caller, slot, `'${field}'`);
    wire[field] = schemaJson(schema);
    schemas[slot] = schema;
  }
  if (typeof wire.handler === 'function') wire.handler = shapedHandler(where, wire.handler as Handler, schemas);
  const reply = where === 'bus.request' ? schemas.reply : undefined;
  return { input: wire, output: reply && ((out) => ({ ...(out as Input), payload: fromWire(reply, (out as Input).payload) })) };
}

function twice(where: string, caller: string, slot: string, other: string) {
  return mcError('MC_ERR_INVALID_ARGUMENT', `${caller} gave ${where} both '${slot}' and ${other}`, { plugin: caller, field: `${where}.${slot}` }, undefined, `Pass the ${slot} schema once: as an object in '${slot}' (TS plugins), or as JSON text in its '*SchemaJson' field.`);
}

function shapedHandler(where: string, handler: Handler, schemas: Record<string, object>): Handler {
  if (where === 'http.addEndpoint' && (schemas.body || schemas.params || schemas.query)) {
    const { body, params, query } = schemas;
    return (req) => {
      const r = req as Input;
      return handler({ ...r, body: body ? fromWire(body, r.body) : r.body, params: params ? fromWire(params, r.params) : r.params, query: query ? fromWire(query, r.query) : r.query });
    };
  }
  if (where === 'bus.subscribe' && schemas.payload) {
    const payload = schemas.payload;
    return (event) => handler({ ...(event as Input), payload: fromWire(payload, (event as Input).payload) });
  }
  return handler;
}

/**
 * A schema as the wire's JSON text: only what JSON Schema says (TypeBox's
 * `~kind` marks are not enumerable, so they stay out), `required` after
 * `properties`, as people write it and as AI_CONTEXT.md has always shown it.
 */
export function schemaJson(schema: object): string {
  return JSON.stringify(schema, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !('required' in v) || !('properties' in v)) return v;
    const out: Input = {};
    for (const [k, item] of Object.entries(v)) {
      if (k === 'required') continue;
      out[k] = item;
      if (k === 'properties') out.required = (v as Input).required;
    }
    return out;
  });
}

const WHOLE = /^-?\d+$/;

/**
 * A received value as its schema's static type says it is (Wire<S>): integers
 * as bigint, numbers as number, booleans as boolean, from int64 (bus payloads
 * carry every whole number as one) or from text (path and query parameters,
 * already judged against the schema by the http tool). Anything it does not
 * recognise is returned as it came.
 */
export function fromWire(schema: unknown, value: unknown): unknown {
  return reshapeBySchema(schema, value, wireLeaf);
}

function wireLeaf(value: unknown, types: unknown[]): unknown {
  if (typeof value === 'string' && types.includes('string')) return value;
  if (types.includes('integer')) {
    if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
    if (typeof value === 'string' && WHOLE.test(value.trim())) return BigInt(value.trim());
    // "7.0" and "7e2" are integers to the schema's judge (ajv) too.
    if (typeof value === 'string' && value.trim() !== '' && Number.isInteger(Number(value))) return BigInt(Number(value));
  }
  if (types.includes('number')) {
    if (typeof value === 'bigint') return Number(value);
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  }
  if (types.includes('boolean') && typeof value === 'string' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/**
 * Walks a value along a JSON Schema (`properties`, `items`), handing each value
 * with its schema's types to `leaf`. What `leaf` gives back in its place is kept,
 * and walked no further when it is another value; lists and plain objects are
 * walked and copied, anything else (class instances, bytes) is left to `leaf`.
 * The one walk behind fromWire here and the http tool's reading of a body.
 */
export function reshapeBySchema(schema: unknown, value: unknown, leaf: (value: unknown, types: unknown[]) => unknown): unknown {
  if (typeof schema !== 'object' || schema === null || value === null || value === undefined) return value;
  const s = schema as { type?: unknown; properties?: Record<string, unknown>; items?: unknown };
  const shaped = leaf(value, Array.isArray(s.type) ? (s.type as unknown[]) : [s.type]);
  if (shaped !== value || typeof value !== 'object') return shaped;
  if (Array.isArray(value)) return s.items ? value.map((item) => reshapeBySchema(s.items, item, leaf)) : value;
  const proto = Object.getPrototypeOf(value);
  if (!s.properties || (proto !== Object.prototype && proto !== null)) return value;
  const out: Input = {};
  for (const [k, item] of Object.entries(value)) out[k] = Object.hasOwn(s.properties, k) ? reshapeBySchema(s.properties[k], item, leaf) : item;
  return out;
}
