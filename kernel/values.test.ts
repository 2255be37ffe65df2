import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ValueSchema } from '../proto/gen/microcore/v1/value_pb.js';
import { jsToValue, valueToJs } from './values.ts';

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
