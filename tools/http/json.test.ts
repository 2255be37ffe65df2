// renderJson: bigints as exact digits and bytes as base64 wherever they sit,
// every other body exactly as JSON.stringify writes it.
import { describe, expect, it } from 'vitest';
import { renderJson } from './json.ts';

describe('renderJson', () => {
  it('writes a body without bigints or bytes as JSON.stringify does', () => {
    for (const body of [{ pong: true }, [1, 'a', null, { b: [2.5] }], 'text', 0, null, { when: new Date(0) }]) expect(renderJson(body)).toBe(JSON.stringify(body));
    expect(renderJson(undefined)).toBe('null');
  });

  it('writes bigints as their exact digits and bytes as base64, at any depth', () => {
    expect(renderJson({ id: 9007199254740993n, name: 'x' })).toBe('{"id":9007199254740993,"name":"x"}');
    expect(renderJson([1n, new Uint8Array([1, 2, 3]), Buffer.from([255])])).toBe('[1,"AQID","/w=="]');
    let deep: unknown = { n: -5n };
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(renderJson(deep)).toBe(`${'['.repeat(100)}{"n":-5}${']'.repeat(100)}`);
  });

  it("writes a Buffer's JSON shape as base64 wherever it is, as it always has", () => {
    expect(renderJson({ file: { type: 'Buffer', data: [104, 105] } })).toBe('{"file":"aGk="}');
  });

  it('leaves the body it was given unchanged', () => {
    const body = { id: 1n, rows: [{ b: new Uint8Array([1]) }] };
    renderJson(body);
    expect(body).toEqual({ id: 1n, rows: [{ b: new Uint8Array([1]) }] });
  });
});
