// microcore.v1.Value <-> plain JavaScript. The mapping is exact both ways:
// int64 is bigint (never a lossy number), bytes are Uint8Array, null is null.
import { create } from '@bufbuild/protobuf';
import { ValueSchema, ValueMapSchema, NullValue, type Value, type ValueMap } from '../proto/gen/microcore/v1/value_pb.js';
import { mcError } from './errors.ts';

/** What a Value holds, as plain JavaScript. Integers are always bigint. */
export type JsValue = null | boolean | bigint | number | string | Uint8Array | JsValue[] | JsRecord;
export interface JsRecord {
  [key: string]: JsValue;
}

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/**
 * How many lists and maps may nest inside one another in a Value. Every hosting
 * must decode what the kernel sends: prost (Rust) stops at 100 nested messages
 * and a map level costs three (Value, ValueMap, its entry), so 32 levels leave
 * room for the message a value travels in. HTTP bodies are held to it too
 * (tools/http), so a request is refused before any handler runs.
 */
export const MAX_VALUE_DEPTH = 32;

export function jsToValue(js: unknown, where = 'value', depth = 0): Value {
  return create(ValueSchema, { kind: jsToKind(js, where, depth) });
}

function jsToKind(js: unknown, where: string, depth: number): Value['kind'] {
  if (js === null || js === undefined) return { case: 'nullValue', value: NullValue.UNSPECIFIED };
  switch (typeof js) {
    case 'boolean':
      return { case: 'boolValue', value: js };
    case 'string':
      return { case: 'stringValue', value: js };
    case 'bigint':
      if (js < INT64_MIN || js > INT64_MAX) throw refuseValue(where, `${js}n is outside int64`);
      return { case: 'intValue', value: js };
    case 'number':
      // A whole number that is exact as a double travels as int64, so Go and Rust
      // read the integer they expect; anything else stays a double.
      // -0 is a safe integer to JS but not to SQLite or Go: it stays a double.
      return Number.isSafeInteger(js) && !Object.is(js, -0) ? { case: 'intValue', value: BigInt(js) } : { case: 'doubleValue', value: js };
  }
  // A Buffer is a Uint8Array with more methods; hand out plain bytes, as a decoded
  // message would, so native plugins see exactly what sidecars see.
  if (js instanceof Uint8Array) return { case: 'bytesValue', value: js.constructor === Uint8Array ? js : new Uint8Array(js.buffer, js.byteOffset, js.byteLength) };
  if (Array.isArray(js) || isPlainObject(js)) {
    if (depth >= MAX_VALUE_DEPTH) throw refuseValue(where, `nested deeper than ${MAX_VALUE_DEPTH} lists and maps`);
    if (Array.isArray(js)) return { case: 'listValue', value: { $typeName: 'microcore.v1.ValueList', values: js.map((v, i) => jsToValue(v, `${where}[${i}]`, depth + 1)) } };
    return { case: 'mapValue', value: jsToValueMap(js, where, depth + 1) };
  }
  throw refuseValue(where, `a ${describe(js)}`);
}

export function jsToValueMap(record: object, where = 'value', depth = 1): ValueMap {
  const fields: Record<string, Value> = {};
  for (const [key, v] of Object.entries(record)) {
    // Assigning it would set the object's prototype instead of a key, here and in
    // every decoder on the way: refuse it rather than lose or smuggle it.
    if (key === '__proto__') throw refuseValue(`${where}.${key}`, 'a key named __proto__');
    fields[key] = jsToValue(v, `${where}.${key}`, depth);
  }
  return create(ValueMapSchema, { fields });
}

// From the wire, the same refusals as toward it: a decoder keeps a key named
// __proto__ and any depth, but a JS object would lose the key to its prototype.
export function valueToJs(value: Value | undefined, where = 'value', depth = 0): JsValue {
  const kind = value?.kind;
  if ((kind?.case === 'listValue' || kind?.case === 'mapValue') && depth >= MAX_VALUE_DEPTH) throw refuseValue(where, `nested deeper than ${MAX_VALUE_DEPTH} lists and maps`);
  switch (kind?.case) {
    case undefined:
    case 'nullValue':
      return null;
    case 'listValue':
      return kind.value.values.map((v, i) => valueToJs(v, `${where}[${i}]`, depth + 1));
    case 'mapValue':
      return valueMapToJs(kind.value, where, depth + 1);
    default:
      return kind!.value;
  }
}

export function valueMapToJs(map: ValueMap | undefined, where = 'value', depth = 1): JsRecord {
  const out: JsRecord = {};
  for (const [key, v] of Object.entries(map?.fields ?? {})) {
    if (key === '__proto__') throw refuseValue(`${where}.${key}`, 'a key named __proto__');
    out[key] = valueToJs(v, `${where}.${key}`, depth);
  }
  return out;
}

function isPlainObject(x: object): x is Record<string, unknown> {
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function describe(x: unknown): string {
  if (typeof x !== 'object' || x === null) return typeof x;
  return x.constructor?.name ?? 'object';
}

/** MC_ERR_VALUE_UNSUPPORTED: `where` holds `what`, which a Value cannot. */
export function refuseValue(where: string, what: string) {
  return mcError('MC_ERR_VALUE_UNSUPPORTED', `${where} is ${what}, which microcore.v1.Value cannot hold`, { field: where });
}
