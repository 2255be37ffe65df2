// The native fast path of the contract check: a plain object checked against a
// message descriptor and brought to its complete plain shape in ONE pass —
// exactly what toPlain(fromPlain(x)) gives, without building the protobuf
// message in between (two passes and a few hundred allocations per call). The
// gateway, which has bytes, still goes through real messages.
//
// Each message is compiled once into a checker (see compile), and a field's path
// ("bus.publish input.payload.n") is only written out when an error names it or
// a nested message needs it: on the hot path (every tool call of every native
// plugin) a check allocates nothing but its result.
import { ScalarType, type DescField, type DescMessage, type DescOneof } from '@bufbuild/protobuf';
import { FeatureSet_FieldPresence } from '@bufbuild/protobuf/wkt';
import { mcError } from './errors.ts';
import { INT64_MAX, INT64_MIN, MAX_VALUE_DEPTH, type JsValue } from './values.ts';

const VALUE = 'microcore.v1.Value';
const VALUE_MAP = 'microcore.v1.ValueMap';

/** A compiled check of one message: the plain value, or MC_ERR_INVALID_ARGUMENT naming the field under `where`. */
export type Normalizer = (plain: unknown, where: string) => Record<string, unknown>;
/** One field's check: `where` is the message's path, `name` the field's (joined only when needed). */
type Step = (v: unknown, where: string, name: string) => unknown;

const compiled = new WeakMap<DescMessage, Normalizer>();

export function normalize(schema: DescMessage, plain: unknown, where: string): Record<string, unknown> {
  return normalizer(schema)(plain, where);
}

/** The compiled check of a message, made on first use. */
export function normalizer(schema: DescMessage): Normalizer {
  let check = compiled.get(schema);
  if (!check) {
    // Set before compiling the fields, so a message that contains itself refers to this one.
    let compiledCheck: Normalizer | undefined;
    check = (plain, where) => compiledCheck!(plain, where);
    compiled.set(schema, check);
    compiledCheck = compile(schema);
    compiled.set(schema, compiledCheck);
  }
  return check;
}

// A message's check is generated as code: one straight-line function per
// message, so each field's read and check sits at a call site of its own that
// V8 can inline (a shared loop over field steps saw every message's steps and
// could inline none: 3× slower on the hot path). Field names are quoted with
// JSON.stringify; the steps themselves are closures passed in, never text.
function compile(schema: DescMessage): Normalizer {
  const names = schema.members.map((m) => m.localName);
  const steps = schema.members.map((m) => (m.kind === 'oneof' ? oneof(m) : field(m)));
  const fallbacks = schema.members.map((m) => (m.kind === 'oneof' ? () => ({ case: undefined }) : defaultOf(m)));
  const q = (name: string) => JSON.stringify(name);
  const known = names.length ? names.map((n) => `key !== ${q(n)}`).join(' && ') : 'true';
  const body = `
    if (plain === undefined || plain === null) plain = {};
    if (typeof plain !== 'object' || Array.isArray(plain)) notObject(plain, where);
    for (const key in plain) if (${known} && plain[key] !== undefined) notAField(key, where);
    ${names.map((n, i) => `const v${i} = plain[${q(n)}];`).join('\n    ')}
    return { ${names.map((n, i) => `${q(n)}: v${i} === undefined ? fallbacks[${i}]() : ${fastPath(schema.members[i]!, `v${i}`)} steps[${i}](v${i}, where, ${q(n)})`).join(', ')} };`;
  const notObject = (plain: unknown, where: string) => {
    throw invalid(where, `must be an object (${schema.typeName}), got ${typeof plain}`);
  };
  const notAField = (key: string, where: string) => {
    throw invalid(`${where}.${key}`, `is not a field of ${schema.typeName} (fields: ${names.join(', ')})`);
  };
  const make = new Function('steps', 'fallbacks', 'notObject', 'notAField', `return function check_${schema.name}(plain, where) {${body}\n  };`);
  return make(steps, fallbacks, notObject, notAField) as Normalizer;
}

/** The test that lets a common value through without a call (its step checks everything else). */
function fastPath(member: DescField | DescOneof, v: string): string {
  if (member.kind === 'oneof' || member.fieldKind !== 'scalar') {
    if (member.kind === 'field' && member.fieldKind === 'message' && member.message.typeName === VALUE) return `typeof ${v} === 'string' || typeof ${v} === 'boolean' ? ${v} :`;
    return '';
  }
  switch (member.scalar) {
    case ScalarType.STRING:
      return `typeof ${v} === 'string' ? ${v} :`;
    case ScalarType.BOOL:
      return `typeof ${v} === 'boolean' ? ${v} :`;
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return `typeof ${v} === 'bigint' ? ${v} :`;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return `typeof ${v} === 'number' ? ${v} :`;
    default:
      return '';
  }
}

function oneof(member: DescOneof): Step {
  const cases = new Map(member.fields.map((f) => [f.localName, single(f)]));
  return (v, where, name) => {
    const selected = v as { case?: string; value?: unknown } | null;
    if (selected?.case === undefined) return { case: undefined };
    const check = cases.get(selected.case);
    if (!check) throw invalid(`${where}.${name}`, `has no case '${selected.case}'`);
    return { case: selected.case, value: check(selected!.value, `${where}.${name}`, selected.case) };
  };
}

function field(f: DescField): Step {
  switch (f.fieldKind) {
    case 'list': {
      const item = f.listKind === 'message' ? messageStep(f.message) : scalarStep(f.listKind === 'enum' ? ScalarType.INT32 : f.scalar);
      return (v, where, name) => {
        if (!Array.isArray(v)) throw invalid(`${where}.${name}`, 'must be an array');
        const at = `${where}.${name}`;
        const out = new Array(v.length);
        for (let i = 0; i < v.length; i++) out[i] = item(v[i], at, i as never);
        return out;
      };
    }
    case 'map': {
      const item = f.mapKind === 'message' ? messageStep(f.message) : scalarStep(f.mapKind === 'enum' ? ScalarType.INT32 : f.scalar);
      return (v, where, name) => {
        if (typeof v !== 'object' || v === null) throw invalid(`${where}.${name}`, 'must be an object');
        const at = `${where}.${name}`;
        const out: Record<string, unknown> = {};
        for (const [k, value] of Object.entries(v)) out[k] = item(value, at, k);
        return out;
      };
    }
    default:
      return single(f);
  }
}

function single(f: DescField): Step {
  if (f.fieldKind === 'message') return messageStep(f.message);
  if (f.fieldKind === 'enum') return scalarStep(ScalarType.INT32);
  if (f.fieldKind === 'scalar') return scalarStep(f.scalar);
  return (_v, where, name) => {
    throw invalid(join(where, name), 'is a list or map where one value belongs');
  };
}

function messageStep(schema: DescMessage): Step {
  if (schema.typeName === VALUE) return (v, where, name) => js(v, where, name, 0);
  if (schema.typeName === VALUE_MAP) {
    return (v, where, name) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) throw invalid(join(where, name), 'must be an object (a row)');
      return record(v as object, join(where, name), 1);
    };
  }
  const check = normalizer(schema);
  return (v, where, name) => (v === undefined ? undefined : check(v, join(where, name)));
}

function scalarStep(type: ScalarType): Step {
  return (v, where, name) => checkScalar(type, v, where, name);
}

/** A fresh default per call: lists, maps and bytes are the caller's to change. */
function defaultOf(f: DescField): () => unknown {
  if (f.fieldKind === 'list') return () => [];
  if (f.fieldKind === 'map') return () => ({});
  if (f.fieldKind === 'message') {
    const value = f.message.typeName === VALUE ? null : undefined;
    return f.message.typeName === VALUE_MAP ? () => ({}) : () => value;
  }
  if (f.presence === FeatureSet_FieldPresence.EXPLICIT) return () => undefined;
  if (f.fieldKind === 'enum') return () => 0;
  switch (f.scalar) {
    case ScalarType.STRING:
      return () => '';
    case ScalarType.BOOL:
      return () => false;
    case ScalarType.BYTES:
      return () => new Uint8Array(0);
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return () => 0n;
    default:
      return () => 0;
  }
}

/** "where.name", "where[3]", or `where` itself when there is no name. */
function join(where: string, name?: string | number): string {
  return name === undefined ? where : typeof name === 'number' ? `${where}[${name}]` : `${where}.${name}`;
}

/** A scalar of the given protobuf type, or MC_ERR_INVALID_ARGUMENT naming the field. */
export function checkScalar(type: ScalarType, v: unknown, where: string, name?: string | number): unknown {
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
  throw invalid(join(where, name), `has the wrong type (${ScalarType[type].toLowerCase()} expected, got ${typeof v})`);
}

/** A value as a Value would bring it back, or MC_ERR_VALUE_UNSUPPORTED naming `where`: jsToValue's check without building the message. */
export function checkValue(v: unknown, where: string): JsValue {
  return js(v, where, undefined, 0);
}

/** A JS value as a Value would bring it back: exactly valueToJs(jsToValue(v)). */
function js(v: unknown, where: string, name: string | number | undefined, depth: number): JsValue {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'boolean':
    case 'string':
      return v;
    case 'bigint':
      if (v < INT64_MIN || v > INT64_MAX) throw unsupported(join(where, name), `${v}n is outside int64`);
      return v;
    case 'number':
      // -0 is a safe integer to JS but not to SQLite or Go: it stays a double.
      return Number.isSafeInteger(v) && !Object.is(v, -0) ? BigInt(v) : v;
  }
  if (v instanceof Uint8Array) return bytes(v);
  const proto = Object.getPrototypeOf(v);
  const isRecord = proto === Object.prototype || proto === null;
  if ((Array.isArray(v) || isRecord) && depth >= MAX_VALUE_DEPTH) throw unsupported(join(where, name), `nested deeper than ${MAX_VALUE_DEPTH} lists and maps`);
  if (Array.isArray(v)) {
    const at = join(where, name);
    const out = new Array<JsValue>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = js(v[i], at, i, depth + 1);
    return out;
  }
  if (isRecord) return record(v as object, join(where, name), depth + 1);
  throw unsupported(join(where, name), `a ${(v as object).constructor?.name ?? 'object'}`);
}

function record(v: object, where: string, depth: number): Record<string, JsValue> {
  const out: Record<string, JsValue> = {};
  for (const k of Object.keys(v)) {
    if (k === '__proto__') throw unsupported(`${where}.${k}`, 'a key named __proto__ (it would set the prototype)');
    out[k] = js((v as Record<string, unknown>)[k], where, k, depth);
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
