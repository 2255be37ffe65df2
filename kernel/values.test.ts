import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ValueSchema } from '../proto/gen/microcore/v1/value_pb.js';
import { jsToValue, MAX_VALUE_DEPTH, valueToJs } from './values.ts';

describe('Value <-> JS', () => {
  const cases: [string, unknown, unknown][] = [
    ['int64 past 2^53', 9007199254740993n, 9007199254740993n],
    ['int64 min', -(2n ** 63n), -(2n ** 63n)],
    ['safe integer number becomes int64', 42, 42n],
    ['double', 1.5, 1.5],
    ['null', null, null],
    ['undefined reads as null', undefined, null],
    ['unicode', 'héllo ✓ 日本語 🚀', 'héllo ✓ 日本語 🚀'],
    ['bytes', new Uint8Array([0, 255, 16, 128]), new Uint8Array([0, 255, 16, 128])],
    ['bool', true, true],
    ['nested', { a: [1n, { b: null }], c: 'x' }, { a: [1n, { b: null }], c: 'x' }],
  ];
  for (const [name, input, expected] of cases) {
    it(`round-trips ${name} through the wire`, () => {
      const wire = toBinary(ValueSchema, jsToValue(input));
      expect(valueToJs(fromBinary(ValueSchema, wire))).toEqual(expected);
    });
  }

  it('refuses what a Value cannot hold, naming the field', () => {
    expect(() => jsToValue({ when: new Date() }, 'params[0]')).toThrow(/MC_ERR_VALUE_UNSUPPORTED: params\[0\]\.when is a Date/);
    expect(() => jsToValue(2n ** 64n)).toThrow(/outside int64/);
  });
});

describe('__proto__ keys', () => {
  it('are refused, never turned into a prototype', async () => {
    const { normalize } = await import('./normalize.ts');
    const { CONTRACT } = await import('./contract.ts');
    const payload = JSON.parse('{"__proto__":{"isAdmin":true}}');
    expect(() => jsToValue(payload, 'payload')).toThrow(/MC_ERR_VALUE_UNSUPPORTED: payload\.__proto__/);
    const publish = CONTRACT.bus.methods.find((m) => m.localName === 'publish')!.input;
    expect(() => normalize(publish, { topic: 't', payload }, 'bus.publish input')).toThrow(/__proto__/);
  });
});

// Issue 7, item 10: one nesting limit every hosting decodes, at the kernel's edge.
describe('nesting depth', () => {
  const nested = (depth: number, leaf: unknown = 1): unknown => (depth === 0 ? leaf : depth % 2 ? [nested(depth - 1, leaf)] : { a: nested(depth - 1, leaf) });

  it(`takes ${MAX_VALUE_DEPTH} nested lists and maps and refuses one more, naming where`, async () => {
    const { normalize } = await import('./normalize.ts');
    const { CONTRACT } = await import('./contract.ts');
    const publish = CONTRACT.bus.methods.find((m) => m.localName === 'publish')!.input;
    expect(valueToJs(fromBinary(ValueSchema, toBinary(ValueSchema, jsToValue(nested(MAX_VALUE_DEPTH)))))).toEqual(nested(MAX_VALUE_DEPTH, 1n));
    expect(() => jsToValue(nested(MAX_VALUE_DEPTH + 1), 'payload')).toThrow(/MC_ERR_VALUE_UNSUPPORTED: payload(\[0\]|\.a)+ is nested deeper than 32/);
    expect(normalize(publish, { topic: 't', payload: nested(MAX_VALUE_DEPTH) }, 'bus.publish input')).toBeDefined();
    expect(() => normalize(publish, { topic: 't', payload: nested(MAX_VALUE_DEPTH + 1) }, 'bus.publish input')).toThrow(/nested deeper than 32/);
  });
});

// Found by the conformance matrix: a native plugin's -0 bound as integer 0.
describe('negative zero', () => {
  it('stays a double, as it does in every other hosting', async () => {
    const { normalize } = await import('./normalize.ts');
    const { CONTRACT } = await import('./contract.ts');
    expect(jsToValue(-0).kind).toEqual({ case: 'doubleValue', value: -0 });
    const query = CONTRACT.db.methods.find((m) => m.localName === 'query')!.input;
    expect(Object.is((normalize(query, { sql: 'SELECT ?', params: [-0] }, 'db.query input').params as unknown[])[0], -0)).toBe(true);
  });
});

describe('valueToJs refuses what a JS object would lose (values from a sidecar or wasm module)', () => {
  const wire = (build: (fields: Record<string, unknown>) => void) => {
    const fields: Record<string, unknown> = {};
    build(fields);
    return { kind: { case: 'mapValue', value: { fields } } } as never;
  };

  it('refuses a map key named __proto__ instead of dropping it into the prototype', () => {
    const proto = wire((f) => Object.defineProperty(f, '__proto__', { value: { kind: { case: 'intValue', value: 1n } }, enumerable: true }));
    expect(() => valueToJs(proto)).toThrow(expect.objectContaining({ code: 'MC_ERR_VALUE_UNSUPPORTED', message: expect.stringContaining('value.__proto__') }));
  });

  it('refuses a value nested deeper than MAX_VALUE_DEPTH, as jsToValue does', () => {
    const nested = (n: number) => {
      let v: unknown = { kind: { case: 'intValue', value: 1n } };
      for (let i = 0; i < n; i++) v = { kind: { case: 'listValue', value: { values: [v] } } };
      return v as never;
    };
    expect(() => valueToJs(nested(MAX_VALUE_DEPTH))).not.toThrow();
    expect(() => valueToJs(nested(MAX_VALUE_DEPTH + 1))).toThrow(expect.objectContaining({ code: 'MC_ERR_VALUE_UNSUPPORTED', message: expect.stringContaining(`nested deeper than ${MAX_VALUE_DEPTH}`) }));
  });
});
