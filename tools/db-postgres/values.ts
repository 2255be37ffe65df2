// Values as the db contract gives them, whatever the engine: PostgreSQL's text
// results parsed per query (pg's per-query `types`, so pg's global parsers stay
// as other code in the process may expect them), and parameters bound as SQLite's
// driver binds them.
//
//   int2, int4, int8, oid      bigint (SQLite gives every integer as bigint)
//   float4, float8             number
//   numeric                    bigint when integral (SUM of a bigint column is
//                              numeric: it stays an integer, as on SQLite), else
//                              number, as SQLite's NUMERIC affinity stores a
//                              fraction as REAL. Cast to text (`amount::text`) for
//                              exact decimals past a double's 15–17 digits.
//   bool                       boolean
//   bytea                      Uint8Array
//   everything else            the text PostgreSQL prints: text, varchar, json and
//                              jsonb (unparsed), dates and timestamps, intervals,
//                              arrays ('{1,2}'), uuid …
import type { CustomTypesConfig } from 'pg';
import { mcError, type JsValue } from '../../kernel/index.ts';

const INTEGER = new Set([20, 21, 23, 26]);
const FLOAT = new Set([700, 701]);
const NUMERIC = 1700;
const BOOL = 16;
const BYTEA = 17;

const asText = (text: string): string => text;
const asBigint = (text: string): bigint => BigInt(text);
const asBool = (text: string): boolean => text === 't';
const INTEGRAL = /^-?\d+$/;
const asNumeric = (text: string): bigint | number => (INTEGRAL.test(text) ? BigInt(text) : Number(text));
// bytea's text output is hex: \x00ff…
const asBytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.slice(2), 'hex'));

function parserOf(oid: number): (text: string) => unknown {
  if (INTEGER.has(oid)) return asBigint;
  if (FLOAT.has(oid)) return Number;
  if (oid === NUMERIC) return asNumeric;
  if (oid === BOOL) return asBool;
  if (oid === BYTEA) return asBytes;
  return asText;
}

/** The parsers every query of the driver uses (results come in text format). */
export const RESULT_TYPES = { getTypeParser: parserOf } as unknown as CustomTypesConfig;

/**
 * Parameters as pg sends them: bigint as its decimal text (exact; PostgreSQL
 * infers the type from where the `?` stands), -0 as '-0', bytes as a Buffer,
 * booleans as true/false, null as NULL. Lists and maps are refused, as on SQLite.
 */
export function bind(params: readonly JsValue[]): unknown[] {
  return params.map((p, i) => {
    if (p instanceof Uint8Array) return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    if (typeof p === 'bigint') return p.toString();
    if (Object.is(p, -0)) return '-0'; // pg sends String(-0), which is '0' (found by the conformance matrix)
    if (p !== null && typeof p === 'object') throw mcError('MC_ERR_INVALID_ARGUMENT', `params[${i}] is a ${Array.isArray(p) ? 'list' : 'map'}, which SQL cannot bind`, { field: `params[${i}]` }, undefined, 'Bind null, booleans, numbers, bigints, strings or bytes; store lists and maps as JSON text.');
    return p;
  });
}
