import { describe, expect, it } from 'vitest';
import { QueryRequestSchema, TransactionRequestSchema } from '../proto/gen/microcore/v1/db_pb.js';
import { InvokeRequestSchema } from '../proto/gen/microcore/v1/plugin_pb.js';
import { fromPlain, toPlain } from './plain.ts';

describe('plain objects <-> messages', () => {
  it('fills defaults and converts values', () => {
    const msg = fromPlain(QueryRequestSchema, { sql: 'SELECT ?', params: [7n, null] }, 'db.query input');
    expect(toPlain(QueryRequestSchema, msg as never)).toEqual({ sql: 'SELECT ?', params: [7n, null] });
    expect(toPlain(QueryRequestSchema, fromPlain(QueryRequestSchema, {}, 'x') as never)).toEqual({ sql: '', params: [] });
  });

  it('rejects a field the contract does not have, naming it and listing the real ones', () => {
    expect(() => fromPlain(QueryRequestSchema, { sql: 'x', args: [] }, 'db.query input')).toThrow(/MC_ERR_INVALID_ARGUMENT: db\.query input\.args is not a field of microcore\.v1\.QueryRequest \(fields: sql, params\)/);
  });

  it('rejects a value of the wrong type', () => {
    expect(() => fromPlain(QueryRequestSchema, { sql: 42 }, 'db.query input')).toThrow(/db\.query input\.sql has the wrong type \(string expected, got number\)/);
    expect(() => fromPlain(TransactionRequestSchema, { statements: [{ sql: 1 }] }, 'tx')).toThrow(/tx\.statements\[0\]\.sql/);
  });

  it('handles oneofs', () => {
    const msg = fromPlain(InvokeRequestSchema, { handlerId: 'h1', input: { case: 'http', value: { method: 'GET', body: { n: 1n } } } }, 'invoke');
    const plain = toPlain(InvokeRequestSchema, msg as never) as { input: { case: string; value: { method: string; body: unknown } } };
    expect(plain.input.case).toBe('http');
    expect(plain.input.value.method).toBe('GET');
    expect(plain.input.value.body).toEqual({ n: 1n });
  });
});
