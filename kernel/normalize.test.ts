// normalize() must give exactly what the message round trip gives, for every
// shape the contract has: it replaces that round trip on the native path.
import { describe, expect, it } from 'vitest';
import { CONTRACT } from './contract.ts';
import { normalize } from './normalize.ts';
import { fromPlain, toPlain } from './plain.ts';

const roundTrip = (schema: Parameters<typeof fromPlain>[0], plain: unknown) => toPlain(schema, fromPlain(schema, plain, 'x') as never);

const SAMPLES: Record<string, unknown[]> = {
  'microcore.v1.QueryRequest': [{}, { sql: 'SELECT ?', params: [1, 2n, 1.5, null, 'ü', new Uint8Array([1]), Buffer.from([2, 3]), [1, { a: [null] }], { k: true }] }],
  'microcore.v1.QueryResponse': [{ columns: ['a'], rows: [{ a: 1n, b: Buffer.from([9]) }] }, {}],
  'microcore.v1.TransactionRequest': [{ statements: [{ sql: 'x', params: [9007199254740993n] }, {}] }],
  'microcore.v1.ExecuteResponse': [{ changes: 1, lastInsertId: 2n }, {}],
  'microcore.v1.ConfigGetRequest': [{ key: 'A' }, { key: 'A', defaultValue: 'd' }],
  'microcore.v1.LogRequest': [{ message: 'm', level: 2, fields: { n: 1, s: 'x' } }, {}],
  'microcore.v1.StateSetRequest': [{ key: 'k', value: { deep: [1n] }, ttlMs: 5 }, { key: 'k' }],
  'microcore.v1.AddEndpointRequest': [{ method: 'GET', path: '/a', handlerId: 'n1', tags: ['t'] }],
  'microcore.v1.PublishRequest': [{ topic: 't', payload: null }, { topic: 't', payload: [1, 'a'] }],
  'microcore.v1.StatusResponse': [{ items: [{ kind: 'tool', name: 'db', ms: 3, needs: [] }] }],
};

describe('normalize', () => {
  const messages = new Map(Object.values(CONTRACT).flatMap((s) => s.methods.flatMap((m) => [m.input, m.output])).map((d) => [d.typeName, d]));
  for (const [typeName, samples] of Object.entries(SAMPLES)) {
    it(`matches the message round trip for ${typeName}`, () => {
      const schema = messages.get(typeName)!;
      expect(schema, typeName).toBeDefined();
      for (const sample of samples) expect(normalize(schema, sample, 'x')).toEqual(roundTrip(schema, sample));
    });
  }

  it('refuses what the round trip refuses, with the same codes', () => {
    const query = messages.get('microcore.v1.QueryRequest')!;
    for (const bad of [{ sql: 1 }, { sql: 'x', args: [] }, { params: [new Date()] }, { params: 'x' }, { params: [2n ** 64n] }]) {
      let expected: unknown;
      try {
        roundTrip(query, bad);
      } catch (e) {
        expected = (e as { code: string }).code;
      }
      expect(() => normalize(query, bad, 'x'), JSON.stringify(bad, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).toThrow(expect.objectContaining({ code: expected }));
    }
  });
});
