import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { testTools } from './testing.ts';
import { fromWire, schemaInput, schemaJson } from './schema-inputs.ts';
import { topic } from './schema-types.ts';

describe('schema objects on the wire', () => {
  it('writes a TypeBox schema as plain JSON Schema text: no ~kind marks, required after properties', () => {
    const schema = Type.Object({ id: Type.Integer({ minimum: 1 }), tags: Type.Array(Type.Object({ name: Type.String() })), note: Type.Optional(Type.String()) }, { additionalProperties: false });
    expect(schemaJson(schema)).toBe(
      '{"type":"object","properties":{"id":{"type":"integer","minimum":1},"tags":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}},"note":{"type":"string"}},"required":["id","tags"],"additionalProperties":false}',
    );
  });

  it('turns body/params/query/response objects into their *SchemaJson fields, and a topic value into its name and schemas', () => {
    const body = Type.Object({ n: Type.Integer() });
    const { input } = schemaInput('http.addEndpoint', 'a/b', { method: 'POST', path: '/x', body, response: { type: 'object' }, handler: () => null });
    expect(input).toMatchObject({ bodySchemaJson: '{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}', responseSchemaJson: '{"type":"object"}' });
    expect(input).not.toHaveProperty('body');
    const T = topic('a.happened', { payload: body });
    expect(schemaInput('bus.declareTopic', 'a/b', { topic: T, summary: 's' }).input).toEqual({ topic: 'a.happened', summary: 's', payloadSchemaJson: schemaJson(body) });
    // publish's payload is a value, not a schema: left as it is
    expect(schemaInput('bus.publish', 'a/b', { topic: T, payload: { n: 1 } }).input).toEqual({ topic: 'a.happened', payload: { n: 1 } });
  });

  it('refuses a slot given both as an object and as *SchemaJson, naming the plugin and the field', () => {
    const body = Type.Object({ n: Type.Integer() });
    expect(() => schemaInput('http.addEndpoint', 'orders/create-order', { body, bodySchemaJson: '{}', handler: () => null })).toThrow(
      expect.objectContaining({ code: 'MC_ERR_INVALID_ARGUMENT', message: expect.stringContaining("orders/create-order gave http.addEndpoint both 'body' and 'bodySchemaJson'") }),
    );
    expect(() => schemaInput('bus.declareTopic', 'orders/x', { topic: topic('t.x', { payload: body }), payloadSchemaJson: '{}' })).toThrow(expect.objectContaining({ code: 'MC_ERR_INVALID_ARGUMENT', details: expect.objectContaining({ field: 'bus.declareTopic.payload' }) }));
    expect(() => schemaInput('http.addEndpoint', 'a/b', { body: '{"type":"object"}', handler: () => null })).toThrow(expect.objectContaining({ message: expect.stringContaining("a 'body' that is not a schema object (got string)") }));
  });
});

describe('fromWire: values as their schema types say', () => {
  const schema = Type.Object({ i: Type.Integer(), n: Type.Number(), b: Type.Boolean(), s: Type.String(), list: Type.Array(Type.Integer()), o: Type.Object({ n: Type.Number() }) });
  it('reads int64 and text as bigint, number and boolean', () => {
    expect(fromWire(schema, { i: 7n, n: 2n, b: true, s: '5', list: [1n, 2], o: { n: 3n }, extra: 4n })).toEqual({ i: 7n, n: 2, b: true, s: '5', list: [1n, 2n], o: { n: 3 }, extra: 4n });
    expect(fromWire(schema, { i: '9007199254740993', n: '2.5', b: 'false', s: 'x' })).toEqual({ i: 9007199254740993n, n: 2.5, b: false, s: 'x' });
  });
  it('leaves what it does not recognise as it came', () => {
    expect(fromWire(schema, { i: 'seven', n: 'x', b: 'yes' })).toEqual({ i: 'seven', n: 'x', b: 'yes' });
    expect(fromWire(undefined, { i: 1n })).toEqual({ i: 1n });
  });
});

describe('through the native proxy', () => {
  it('gives a subscriber the payload typed by its topic value, and bus.request the reply', async () => {
    const t = await testTools();
    try {
      const Ask = topic('t.ask', { payload: Type.Object({ n: Type.Integer() }), reply: Type.Object({ half: Type.Number() }) });
      await t.tools.bus.subscribe({ topic: Ask, handler: (e) => ({ half: Number(e.payload.n) / 2 }) });
      const answer = await t.tools.bus.request({ topic: Ask, payload: { n: 8 } });
      // 4 crosses the bus as int64; the reply schema says number
      expect(answer.payload).toEqual({ half: 4 });
      expect(typeof answer.payload.half).toBe('number');
    } finally {
      await t.close();
    }
  });
});
