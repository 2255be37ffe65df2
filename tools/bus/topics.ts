// Declared topics (Bus.DeclareTopic): the owner's JSON Schemas of a topic's
// payload and reply, checked at the bus's edge for every hosting, so a malformed
// event fails at publish naming the field instead of later in a consumer.
// Values are judged as JSON renders them (int64 a number, bytes base64 text);
// nothing is coerced or filled in, so what passes is exactly what is delivered.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { mcError, type JsValue, type SubscriptionTable, type TopicDeclaration } from '../../kernel/index.ts';

const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes: false, useDefaults: false, removeAdditional: false });
addFormats.default(ajv);

type Declare = Omit<TopicDeclaration, 'payloadSchema' | 'replySchema'> & { payloadSchemaJson: string; replySchemaJson: string };

// The kernel's own topics: their shape is the bus's, not a plugin's to declare.
const RESERVED = /^(_|system\.)/;

/**
 * Declarations live in the kernel's subscription table (the context writer lists
 * them; a stopped plugin's go with its subscriptions); their compiled validators
 * here, keyed by the declaration, so a replaced or removed one is never used.
 */
export class Topics {
  #table: Pick<SubscriptionTable, 'declare' | 'declaration'>;
  #validators = new WeakMap<TopicDeclaration, { payload?: ValidateFunction; reply?: ValidateFunction }>();

  constructor(table: Pick<SubscriptionTable, 'declare' | 'declaration'>) {
    this.#table = table;
  }

  declare(d: Declare): void {
    if (RESERVED.test(d.topic)) throw mcError('MC_ERR_INVALID_ARGUMENT', `${d.owner} declared '${d.topic}', a topic of the kernel's own`, { topic: d.topic, field: 'topic' }, undefined, "Declare a topic of your plugin's domain; _dlq.* and system.* are the kernel's.");
    const taken = this.#table.declaration(d.topic);
    if (taken && taken.owner !== d.owner) throw mcError('MC_ERR_CONFLICT', `${d.owner} declared '${d.topic}', which ${taken.owner} already declared`, { topic: d.topic, owner: taken.owner }, undefined, 'A topic has one owner: publish to it as declared, or declare a topic of your own.');
    const payloadSchema = parse(d, d.payloadSchemaJson, 'payloadSchemaJson');
    const replySchema = parse(d, d.replySchemaJson, 'replySchemaJson');
    const declaration: TopicDeclaration = { topic: d.topic, owner: d.owner, summary: d.summary, payloadSchema, replySchema };
    const validators = { payload: payloadSchema && compile(d, payloadSchema, 'payloadSchemaJson'), reply: replySchema && compile(d, replySchema, 'replySchemaJson') };
    this.#table.declare(declaration);
    this.#validators.set(declaration, validators);
  }

  /** Refuses a payload (or a reply) that fails the topic's declared schema. */
  check(topic: string, part: 'payload' | 'reply', value: JsValue, who: string): void {
    const declared = this.#table.declaration(topic);
    const validate = declared && this.#validators.get(declared)?.[part];
    if (!validate || validate(asJson(value))) return;
    const problems = (validate.errors ?? []).map((e) => problem(part, e)).join('; ');
    throw mcError('MC_ERR_BUS_SCHEMA', `${who} on '${topic}': ${problems}`, { topic, owner: declared.owner, part, problems });
  }
}

function parse(d: Declare, json: string, field: string): object | undefined {
  if (!json) return undefined;
  try {
    return closed(JSON.parse(json)) as object;
  } catch (err) {
    throw mcError('MC_ERR_INVALID_ARGUMENT', `${d.owner} declared '${d.topic}' with a ${field} that is not JSON`, { topic: d.topic, field }, err);
  }
}

function compile(d: Declare, schema: object, field: string): ValidateFunction {
  try {
    return ajv.compile(schema);
  } catch (err) {
    throw mcError('MC_ERR_INVALID_ARGUMENT', `${d.owner} declared '${d.topic}' with a ${field} that is not a valid JSON Schema: ${(err as Error).message}`, { topic: d.topic, field }, err);
  }
}

/** An object schema that does not say additionalProperties refuses the fields it does not name (the schema is the declaration). */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    // Property names are names, not schemas; const and enum hold values.
    if (k === 'properties' || k === 'patternProperties' || k === '$defs' || k === 'definitions') out[k] = Object.fromEntries(Object.entries(v as object).map(([name, s]) => [name, closed(s)]));
    else out[k] = k === 'const' || k === 'enum' || k === 'default' || k === 'examples' ? v : closed(v);
  }
  if ((out.type === 'object' || 'properties' in out) && !('additionalProperties' in out)) out.additionalProperties = false;
  return out;
}

/** A payload as JSON renders it, for the schema: int64 as a number, bytes as base64. */
function asJson(v: JsValue): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (Array.isArray(v)) return v.map(asJson);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asJson(x as JsValue)]));
  return v;
}

function problem(part: string, e: ErrorObject): string {
  const at = part + e.instancePath.replaceAll('/', '.');
  if (e.keyword === 'additionalProperties') return `${at} has field '${(e.params as { additionalProperty: string }).additionalProperty}', which the declaration does not name`;
  return `${at} ${e.message ?? 'is invalid'}`;
}
