// Protobuf messages <-> the plain objects tools and native plugins use. Walks the
// generated descriptors, so a field exists in the plain shape exactly when it
// exists in the contract: the same check for a native call as for a sidecar's.
import { create, ScalarType, type DescField, type DescMessage, type DescOneof, type MessageShape } from '@bufbuild/protobuf';
import { mcError } from './errors.ts';
import { checkScalar } from './normalize.ts';
import { jsToValue, jsToValueMap, valueMapToJs, valueToJs } from './values.ts';

const VALUE = 'microcore.v1.Value';
const VALUE_MAP = 'microcore.v1.ValueMap';

/** A decoded message as a plain object: Value fields become JsValue. */
export function toPlain(schema: DescMessage, message: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const member of schema.members) {
    const v = message?.[member.localName];
    if (member.kind === 'oneof') {
      const selected = v as { case?: string; value?: unknown } | undefined;
      const field = member.fields.find((f) => f.localName === selected?.case);
      out[member.localName] = field ? { case: field.localName, value: singleToPlain(field, selected!.value) } : { case: undefined };
    } else {
      out[member.localName] = fieldToPlain(member, v);
    }
  }
  return out;
}

function fieldToPlain(field: DescField, v: unknown): unknown {
  switch (field.fieldKind) {
    case 'list':
      return (v as unknown[]).map((item) => (field.listKind === 'message' ? messageToPlain(field.message, item) : item));
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v as object)) out[k] = field.mapKind === 'message' ? messageToPlain(field.message, item) : item;
      return out;
    }
    default:
      return singleToPlain(field, v);
  }
}

function singleToPlain(field: DescField, v: unknown): unknown {
  return field.message ? messageToPlain(field.message, v) : v;
}

function messageToPlain(schema: DescMessage, v: unknown): unknown {
  if (schema.typeName === VALUE) return valueToJs(v as never);
  if (schema.typeName === VALUE_MAP) return valueMapToJs(v as never);
  return v === undefined ? undefined : toPlain(schema, v as Record<string, unknown>);
}

/**
 * A plain object as a message of `schema`. Unknown fields and values of the
 * wrong type fail with MC_ERR_INVALID_ARGUMENT naming the field path.
 */
export function fromPlain<S extends DescMessage>(schema: S, plain: unknown, where: string): MessageShape<S> {
  return create(schema, plainToInit(schema, plain, where) as never) as MessageShape<S>;
}

function plainToInit(schema: DescMessage, plain: unknown, where: string): Record<string, unknown> {
  if (plain === undefined || plain === null) return {};
  if (typeof plain !== 'object' || Array.isArray(plain)) throw invalid(where, `must be an object (${schema.typeName}), got ${typeof plain}`);
  const init: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(plain)) {
    const member = schema.members.find((m) => m.localName === key);
    if (!member) throw invalid(`${where}.${key}`, `is not a field of ${schema.typeName} (fields: ${schema.members.map((m) => m.localName).join(', ')})`);
    if (v === undefined) continue;
    init[key] = member.kind === 'oneof' ? oneofToInit(member, v, `${where}.${key}`) : fieldToInit(member, v, `${where}.${key}`);
  }
  return init;
}

function oneofToInit(oneof: DescOneof, v: unknown, where: string): unknown {
  const selected = v as { case?: string; value?: unknown };
  if (selected.case === undefined) return { case: undefined };
  const field = oneof.fields.find((f) => f.localName === selected.case);
  if (!field) throw invalid(where, `has no case '${selected.case}'`);
  return { case: field.localName, value: singleToInit(field, selected.value, `${where}.${field.localName}`) };
}

function fieldToInit(field: DescField, v: unknown, where: string): unknown {
  switch (field.fieldKind) {
    case 'list':
      if (!Array.isArray(v)) throw invalid(where, 'must be an array');
      return v.map((item, i) => (field.listKind === 'message' ? messageToInit(field.message, item, `${where}[${i}]`) : checkScalar(field.scalar ?? ScalarType.INT32, item, `${where}[${i}]`)));
    case 'map': {
      if (typeof v !== 'object' || v === null) throw invalid(where, 'must be an object');
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = field.mapKind === 'message' ? messageToInit(field.message, item, `${where}.${k}`) : checkScalar(field.mapKind === 'enum' ? ScalarType.INT32 : field.scalar, item, `${where}.${k}`);
      return out;
    }
    default:
      return singleToInit(field, v, where);
  }
}

function singleToInit(field: DescField, v: unknown, where: string): unknown {
  if (field.message) return messageToInit(field.message, v, where);
  return checkScalar(field.scalar ?? ScalarType.INT32, v, where);
}

function messageToInit(schema: DescMessage, v: unknown, where: string): unknown {
  if (schema.typeName === VALUE) return jsToValue(v, where);
  if (schema.typeName === VALUE_MAP) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(where, 'must be an object (a row)');
    return jsToValueMap(v, where);
  }
  return create(schema, plainToInit(schema, v, where) as never);
}

function invalid(where: string, what: string) {
  return mcError('MC_ERR_INVALID_ARGUMENT', `${where} ${what}`, { field: where });
}
