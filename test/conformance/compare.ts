// How the conformance runner compares what a hosting got with what a case
// expects. Both sides are in the protobuf JSON mapping, so int64 is compared
// as its exact digits and bytes as base64. Objects compare by key set, never by
// key order: map<string, Value> has no order in Go or prost (value.proto).
// "$any" in an expectation matches any present value (ids, times);
// "$zeros:<n>" matches the base64 of n zero bytes (a 1 MiB blob in a case file
// would be 1.4 MB of text).

export const ANY = '$any';
const ZEROS = /^\$zeros:(\d+)$/;

/** The differences, one line each ("path: expected …, got …"); empty when equal. */
export function differences(expected: unknown, actual: unknown, path = '$'): string[] {
  if (expected === ANY) return actual === undefined ? [`${path}: expected a value, got nothing`] : [];
  const zeros = typeof expected === 'string' ? ZEROS.exec(expected) : null;
  if (zeros) {
    const bytes = typeof actual === 'string' ? Buffer.from(actual, 'base64') : undefined;
    return bytes && bytes.length === Number(zeros[1]) && bytes.every((b) => b === 0) ? [] : [`${path}: expected ${zeros[1]} zero bytes, got ${bytes ? `${bytes.length} bytes` : show(actual)}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected a list, got ${show(actual)}`];
    if (actual.length !== expected.length) return [`${path}: expected ${expected.length} items, got ${actual.length}: ${show(actual)}`];
    return expected.flatMap((e, i) => differences(e, actual[i], `${path}[${i}]`));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [`${path}: expected an object, got ${show(actual)}`];
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    const extra = Object.keys(a).filter((k) => !(k in e));
    const out = extra.map((k) => `${path}.${k}: expected nothing, got ${show(a[k])}`);
    for (const k of Object.keys(e)) out.push(...differences(e[k], a[k], `${path}.${k}`));
    return out;
  }
  return Object.is(expected, actual) ? [] : [`${path}: expected ${show(expected)}, got ${show(actual)}`];
}

/** Like differences, but keys the expectation leaves out are not checked (error details, subsets). */
export function missing(expected: Record<string, unknown>, actual: Record<string, unknown> | undefined, path = '$'): string[] {
  return Object.keys(expected).flatMap((k) => differences(expected[k], actual?.[k], `${path}.${k}`));
}

function show(v: unknown): string {
  const text = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : Object.is(x, -0) ? '-0' : x));
  return text === undefined ? 'nothing' : text.length > 160 ? `${text.slice(0, 160)}…` : text;
}
