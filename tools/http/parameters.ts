// Path and query parameters with schemas. Their values are text, so they are
// judged as their schema's type would read them ("7" is an integer) by an ajv
// of their own — the body's validator coerces nothing (tool.ts). The handler
// still gets the text the client sent, never a number rounded to a double (an
// int64 id past 2^53 stays exact); a `default` fills a parameter left out.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyRequest, RouteShorthandOptions } from 'fastify';
import { INT64_MAX, INT64_MIN, mcError, type Route } from '../../kernel/index.ts';

const ajv = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: true, strict: false });
addFormats.default(ajv);

type Parameters = { params: Record<string, string>; query: Record<string, string> };
const judged = new WeakMap<FastifyRequest, Parameters>();

/** The fastify options of a route: only a route with parameter schemas pays for judging them. */
export function routeOptions(route: Route): Pick<RouteShorthandOptions, 'schema' | 'preValidation'> {
  const schema = route.bodySchema ? { body: route.bodySchema } : undefined;
  if (!route.paramsSchema && !route.querySchema) return { schema };
  const params = route.paramsSchema && compile(route, route.paramsSchema, 'paramsSchemaJson');
  const query = route.querySchema && compile(route, route.querySchema, 'querySchemaJson');
  return {
    schema,
    preValidation: (req, _reply, done) => {
      try {
        judged.set(req, { params: judge(req, params, req.params, 'path'), query: judge(req, query, req.query, 'query') });
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  };
}

/** HttpRequest.params and .query: as judged on a route with parameter schemas, as sent on any other. */
export function parameters(route: Route, req: FastifyRequest): Parameters {
  return ((route.paramsSchema || route.querySchema) && judged.get(req)) || { params: stringMap(req.params), query: stringMap(req.query) };
}

const compiled = new WeakMap<object, ValidateFunction>();
const integerNames = new WeakMap<object, string[]>();

/** The parameters a schema reads as integers (not also as text), worked out once per schema. */
function integersOf(schema: unknown): string[] {
  let names = integerNames.get(schema as object);
  if (!names) {
    const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
    names = Object.keys(properties).filter((name) => {
      const type = properties[name]?.type;
      return type === 'integer' || (Array.isArray(type) && type.includes('integer') && !type.includes('string'));
    });
    integerNames.set(schema as object, names);
  }
  return names;
}

/**
 * Compiles a route's schemas, so a bad one fails the plugin's addEndpoint call
 * (and a new version's boot, leaving the old one serving), not the server's
 * start or the rebuild of a running router.
 */
export function checkSchemas(route: Route): void {
  if (route.paramsSchema) compile(route, route.paramsSchema, 'paramsSchemaJson');
  if (route.querySchema) compile(route, route.querySchema, 'querySchemaJson');
  // fastify compiles the body's validator itself; this one only proves it compiles.
  if (route.bodySchema) compile(route, route.bodySchema, 'bodySchemaJson');
}

function compile(route: Route, schema: object, field: string): ValidateFunction {
  const known = compiled.get(schema);
  if (known) return known;
  try {
    const validate = ajv.compile(schema);
    // Ajv keeps every schema it compiled, by object; each addEndpoint parses a
    // new one (a sidecar restarted, a plugin reloaded), so drop it from Ajv's
    // cache: the function works on, and goes with its route.
    ajv.removeSchema(schema);
    compiled.set(schema, validate);
    return validate;
  } catch (err) {
    throw mcError('MC_ERR_INVALID_ARGUMENT', `${route.owner} gave http.addEndpoint ${route.method} ${route.path} a ${field} that is not a valid JSON Schema: ${(err as Error).message}`, { field, plugin: route.owner }, err);
  }
}

function judge(req: FastifyRequest, validate: ValidateFunction | undefined, values: unknown, where: 'path' | 'query'): Record<string, string> {
  const sent = stringMap(values);
  if (!validate) return sent;
  const copy: Record<string, unknown> = { ...sent };
  const problems = validate(copy) ? outsideInt64(validate.schema, sent, where) : (validate.errors ?? []).map((e) => problem(e, where));
  if (problems.length) throw mcError('MC_ERR_HTTP_VALIDATION', `${req.method} ${req.url}: ${problems.join('; ')}`, { problems: problems.join('; '), in: where });
  // What the client sent where it sent it; the schema's defaults where it did not.
  const out: Record<string, string> = {};
  for (const k of Object.keys(copy)) out[k] = k in sent ? sent[k]! : String(copy[k]);
  return out;
}

// A native plugin gets an integer parameter as a bigint (kernel/schema-inputs.ts), and
// every hosting holds int64: an integer past it is refused here, as in a body (json.ts).
function outsideInt64(schema: unknown, sent: Record<string, string>, where: 'path' | 'query'): string[] {
  const problems: string[] = [];
  for (const name of integersOf(schema)) {
    const text = sent[name];
    if (text === undefined || !Object.hasOwn(sent, name)) continue;
    const n = /^\s*-?\d+\s*$/.test(text) ? BigInt(text.trim()) : Number.isSafeInteger(Number(text)) ? 0n : undefined;
    if (n === undefined || n < INT64_MIN || n > INT64_MAX) problems.push(`${where} parameter '${name}' is an integer outside int64 (${text.slice(0, 40)})`);
  }
  return problems;
}

function problem(e: ErrorObject, where: 'path' | 'query'): string {
  const name = e.instancePath.replace(/^\//, '').split('/')[0] || (e.params as { missingProperty?: string; additionalProperty?: string }).missingProperty || (e.params as { additionalProperty?: string }).additionalProperty;
  return `${where} parameter '${name ?? '?'}' ${e.message ?? 'is invalid'}`;
}

export function stringMap(source: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (source === null || typeof source !== 'object') return out;
  // Node's headers and fastify's params and query are plain objects of their own keys.
  for (const k of Object.keys(source)) {
    const v = (source as Record<string, unknown>)[k];
    if (v === undefined) continue;
    out[k] = typeof v === 'string' ? v : Array.isArray(v) ? String(v[v.length - 1]) : String(v);
  }
  return out;
}
