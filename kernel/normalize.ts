// The native fast path of the contract check: a plain object checked against a
// message descriptor and brought to its complete plain shape in ONE pass —
// exactly what toPlain(fromPlain(x)) gives, without building the protobuf
// message in between (two passes and a few hundred allocations per call). The
// gateway, which has bytes, still goes through real messages.
import { ScalarType, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { FeatureSet_FieldPresence } from '@bufbuild/protobuf/wkt';
import { mcError } from './errors.ts';
import { INT64_MAX, INT64_MIN, MAX_VALUE_DEPTH, type JsValue } from './values.ts';

const VALUE = 'microcore.v1.Value';
const VALUE_MAP = 'microcore.v1.ValueMap';

export function normalize(schema: DescMessage, plain: unknown, where: string): Record<string, unknown> {
  if (plain === undefined || plain === null) plain = {};
  if (typeof plain !== 'object' || Array.isArray(plain)) throw invalid(where, `must be an object (${schema.typeName}), got ${typeof plain}`);
  const input = plain as Record<string, unknown>;
  for (const key in input) {
    if (input[key] !== undefined && !schema.members.some((m) => m.localName === key)) {
      throw invalid(`${where}.${key}`, `is not a field of ${schema.typeName} (fields: ${schema.members.map((m) => m.localName).join(', ')})`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const member of schema.members) {
    const v = input[member.localName];
    const at = `${where}.${member.localName}`;
    if (member.kind === 'oneof') {
      const selected = v as { case?: string; value?: unknown } | undefined;
      if (selected?.case === undefined) {
        out[member.localName] = { case: undefined };
        continue;
      }
      const field = member.fields.find((f) => f.localName === selected.case);
      if (!field) throw invalid(at, `has no case '${selected.case}'`);
      out[member.localName] = { case: field.localName, value: single(field, selected.value, `${at}.${field.localName}`) };
    } else {
      out[member.localName] = v === undefined ? defaultOf(member) : field(member, v, at);
    }
  }
  return out;
}

function field(f: DescField, v: unknown, where: string): unknown {
  switch (f.fieldKind) {
    case 'list':
      if (!Array.isArray(v)) throw invalid(where, 'must be an array');
      return v.map((item, i) => (f.listKind === 'message' ? message(f.message, item, `${where}[${i}]`) : checkScalar(f.listKind === 'enum' ? ScalarType.INT32 : f.scalar, item, `${where}[${i}]`)));
    case 'map': {
      if (typeof v !== 'object' || v === null) throw invalid(where, 'must be an object');
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = f.mapKind === 'message' ? message(f.message, item, `${where}.${k}`) : checkScalar(f.mapKind === 'enum' ? ScalarType.INT32 : f.scalar, item, `${where}.${k}`);
      return out;
    }
    default:
      return single(f, v, where);
  }
}

function single(f: DescField, v: unknown, where: string): unknown {
  if (f.fieldKind === 'message') return message(f.message, v, where);
  if (f.fieldKind === 'enum') return checkScalar(ScalarType.INT32, v, where);
  if (f.fieldKind === 'scalar') return checkScalar(f.scalar, v, where);
  throw invalid(where, 'is a list or map where one value belongs');
}

function message(schema: DescMessage, v: unknown, where: string): unknown {
  if (schema.typeName === VALUE) return js(v, where);
  if (schema.typeName === VALUE_MAP) {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) throw invalid(where, 'must be an object (a row)');
    return record(v as object, where);
  }
  return v === undefined ? undefined : normalize(schema, v, where);
}

function defaultOf(f: DescField): unknown {
  if (f.fieldKind === 'list') return [];
  if (f.fieldKind === 'map') return {};
  if (f.fieldKind === 'message') return f.message.typeName === VALUE ? null : f.message.typeName === VALUE_MAP ? {} : undefined;
  if (f.presence === FeatureSet_FieldPresence.EXPLICIT) return undefined;
  if (f.fieldKind === 'enum') return 0;
  switch (f.scalar) {
    case ScalarType.STRING:
      return '';
    case ScalarType.BOOL:
      return false;
    case ScalarType.BYTES:
      return new Uint8Array(0);
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return 0n;
    default:
      return 0;
  }
}

/** A scalar of the given protobuf type, or MC_ERR_INVALID_ARGUMENT naming the field. */
export function checkScalar(type: ScalarType, v: unknown, where: string): unknown {
  switch (type) {
    case ScalarType.STRING:
      if (typeof v === 'string') return v;
      break;
    case ScalarType.BOOL:
      if (typeof v === 'boolean') return v;
      break;
    case ScalarType.BYTES:
      if (v instanceof Uint8Array) return bytes(v);
      break;
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      if (typeof v === 'bigint') return v;
      if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
      break;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      if (typeof v === 'number') return v;
      break;
    default:
      if (typeof v === 'number' && Number.isInteger(v)) return v;
  }
  throw invalid(where, `has the wrong type (${ScalarType[type].toLowerCase()} expected, got ${typeof v})`);
}

/** A JS value as a Value would bring it back: exactly valueToJs(jsToValue(v)). */
function js(v: unknown, where: string, depth = 0): JsValue {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'boolean':
    case 'string':
      return v;
    case 'bigint':
      if (v < INT64_MIN || v > INT64_MAX) throw unsupported(where, `${v}n is outside int64`);
      return v;
    case 'number':
      // -0 is a safe integer to JS but not to SQLite or Go: it stays a double.
      return Number.isSafeInteger(v) && !Object.is(v, -0) ? BigInt(v) : v;
  }
  if (v instanceof Uint8Array) return bytes(v);
  const proto = Object.getPrototypeOf(v);
  const isRecord = proto === Object.prototype || proto === null;
  if ((Array.isArray(v) || isRecord) && depth >= MAX_VALUE_DEPTH) throw unsupported(where, `nested deeper than ${MAX_VALUE_DEPTH} lists and maps`);
  if (Array.isArray(v)) return v.map((item, i) => js(item, `${where}[${i}]`, depth + 1));
  if (isRecord) return record(v as object, where, depth + 1);
  throw unsupported(where, `a ${(v as object).constructor?.name ?? 'object'}`);
}

function record(v: object, where: string, depth = 1): Record<string, JsValue> {
  const out: Record<string, JsValue> = {};
  for (const [k, item] of Object.entries(v)) {
    if (k === '__proto__') throw unsupported(`${where}.${k}`, 'a key named __proto__ (it would set the prototype)');
    out[k] = js(item, `${where}.${k}`, depth);
  }
  return out;
}

function bytes(v: Uint8Array): Uint8Array {
  return v.constructor === Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function invalid(where: string, what: string) {
  return mcError('MC_ERR_INVALID_ARGUMENT', `${where} ${what}`, { field: where });
}

function unsupported(where: string, what: string) {
  return mcError('MC_ERR_VALUE_UNSUPPORTED', `${where} is ${what}, which microcore.v1.Value cannot hold`, { field: where });
}
