// decodeInvokeResponse reads Values straight from the wire (value-wire.ts); it
// must give exactly what protobuf-es's fromBinary and valueToJs give, and
// refuse what they refuse.
import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvokeResponseSchema } from '../proto/gen/microcore/v1/plugin_pb.js';
import { ValueSchema, type Value } from '../proto/gen/microcore/v1/value_pb.js';
import { decodeInvokeResponse, invokeOutput } from './invoke-codec.ts';
import { fromBinary } from '@bufbuild/protobuf';
import { jsToValue, MAX_VALUE_DEPTH, type JsValue } from './values.ts';

const INT64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const key = fc.oneof(fc.string(), fc.constantFrom('', 'id', 'constructor', 'toString', 'é', '😀'));
const value: fc.Arbitrary<JsValue> = fc.letrec<{ v: JsValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    INT64,
    fc.double().filter((d) => !Number.isSafeInteger(d) || Object.is(d, -0)),
    fc.string({ unit: 'grapheme' }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('v'), { maxLength: 5 }),
    fc.dictionary(key.filter((k) => k !== '__proto__'), tie('v'), { maxKeys: 5 }),
  ),
})).v;

const both = (bytes: Uint8Array) => {
  const run = (f: () => unknown) => {
    try {
      return { ok: f() };
    } catch (err) {
      return { code: (err as { code?: string }).code, message: (err as Error).message };
    }
  };
  return [run(() => decodeInvokeResponse('wasm/x', bytes)), run(() => invokeOutput('wasm/x', fromBinary(InvokeResponseSchema, bytes)))];
};

function nested(depth: number): Value {
  let v = create(ValueSchema, { kind: { case: 'stringValue', value: 'leaf' } });
  for (let i = 0; i < depth; i++) v = create(ValueSchema, { kind: { case: 'listValue', value: { values: [v] } } });
  return v;
}

describe('decodeInvokeResponse', () => {
  it('reads http and value answers exactly as fromBinary + valueToJs do', () => {
    fc.assert(
      fc.property(value, fc.integer({ min: -1, max: 599 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), (body, status, headers) => {
        const http = toBinary(InvokeResponseSchema, create(InvokeResponseSchema, { output: { case: 'http', value: { status, body: jsToValue(body), headers } } }));
        const [fast, slow] = both(http);
        expect(fast).toEqual(slow);
        expect(fast).toEqual({ ok: { case: 'http', value: { status, body, headers } } });
        const plain = toBinary(InvokeResponseSchema, create(InvokeResponseSchema, { output: { case: 'value', value: jsToValue(body) } }));
        expect(both(plain)[0]).toEqual({ ok: { case: 'value', value: body } });
      }),
      { numRuns: 300 },
    );
  });

  // Found by the property above (seed 70374623): an assignment dropped it as a prototype.
  it('keeps a header named __proto__ as a key, as fromBinary does', () => {
    const headers = JSON.parse('{"__proto__":"x","a":"b"}') as Record<string, string>;
    const http = toBinary(InvokeResponseSchema, create(InvokeResponseSchema, { output: { case: 'http', value: { status: 200, headers } } }));
    const [fast, slow] = both(http);
    expect(fast).toEqual(slow);
    const got = (fast as { ok: { value: { headers: Record<string, string> } } }).ok.value.headers;
    expect(Object.keys(got).sort()).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
  });

  it('refuses a key named __proto__ and a value nested past the limit as valueToJs does, and takes the limit itself', () => {
    const proto = create(ValueSchema, { kind: { case: 'mapValue', value: { fields: { a: create(ValueSchema, { kind: { case: 'mapValue', value: { fields: { ['__proto__']: jsToValue(1n) } } } }) } } } });
    for (const body of [proto, nested(MAX_VALUE_DEPTH + 1)]) {
      const [fast, slow] = both(toBinary(InvokeResponseSchema, create(InvokeResponseSchema, { output: { case: 'http', value: { body } } })));
      expect(fast).toEqual(slow);
      expect(fast).toMatchObject({ code: 'MC_ERR_VALUE_UNSUPPORTED' });
    }
    const [fast] = both(toBinary(InvokeResponseSchema, create(InvokeResponseSchema, { output: { case: 'value', value: nested(MAX_VALUE_DEPTH) } })));
    expect(fast).toHaveProperty('ok');
  });

  it('passes a plugin error on, and calls truncated bytes a bad message', () => {
    const error = toBinary(InvokeResponseSchema, create(InvokeResponseSchema, { output: { case: 'error', value: { code: 'MC_ERR_CONFLICT', message: 'taken', details: { sku: 'A' } } } }));
    const [fast, slow] = both(error);
    expect(fast).toEqual(slow);
    expect(fast).toMatchObject({ code: 'MC_ERR_CONFLICT' });
    const http = toBinary(InvokeResponseSchema, create(InvokeResponseSchema, { output: { case: 'http', value: { status: 200, body: jsToValue({ results: ['a', 'b'] }) } } }));
    for (let cut = 1; cut < http.length; cut++) {
      const [broken] = both(http.subarray(0, cut));
      expect(broken, `cut at ${cut}`).toMatchObject({ code: 'MC_ERR_GATEWAY_BAD_MESSAGE' });
    }
    expect(both(new Uint8Array())[0]).toMatchObject({ code: 'MC_ERR_HANDLER_FAILED' });
  });
});
