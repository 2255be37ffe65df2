// capMemory on hand-built modules: the bytes it writes, and V8 enforcing them.
import { describe, expect, it } from 'vitest';
import { capMemory } from './wasm-memory-cap.ts';

// TypeScript declares WebAssembly only in its DOM lib, which this project leaves out.
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { exports: Record<string, unknown> };
  Memory: new (d: { initial: number; maximum: number }) => Memory;
  Table: new (d: { initial: number; element: string }) => object;
  Global: new (d: { value: string }, v: number) => object;
};
interface Memory {
  grow(pages: number): number;
  buffer: ArrayBuffer;
}

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const name = (s: string) => [s.length, ...new TextEncoder().encode(s)];
const section = (id: number, body: number[]) => [id, body.length, ...body];
const module = (...sections: number[][]) => Uint8Array.from([...HEADER, ...sections.flat()]);
/** (memory (export "m") <limits>) */
const definedMemory = (limits: number[]) => module(section(5, [1, ...limits]), section(7, [1, ...name('m'), 0x02, 0]));
const capped = (wasm: Uint8Array, pages: number) => capMemory(wasm, pages, 'wasm/test module test.wasm', { plugin: 'wasm/test' });
const memorySection = (wasm: Uint8Array) => [...wasm.subarray(8, 8 + 2 + wasm[9]!)];

describe('capMemory', () => {
  it('adds a maximum to a memory that has none, and V8 then refuses to grow past it', () => {
    const out = capped(definedMemory([0x00, 1]), 4);
    expect(memorySection(out)).toEqual([5, 4, 1, 0x01, 1, 4]);
    const memory = new WebAssembly.Instance(new WebAssembly.Module(out)).exports.m as Memory;
    expect(memory.grow(3)).toBe(1);
    expect(() => memory.grow(1)).toThrow(RangeError);
    expect(memory.buffer.byteLength).toBe(4 * 65536);
  });

  it('lowers a larger maximum to the cap and keeps a smaller one', () => {
    expect(memorySection(capped(definedMemory([0x01, 1, 0x80, 0x02]), 100))).toEqual([5, 4, 1, 0x01, 1, 100]);
    expect(memorySection(capped(definedMemory([0x01, 1, 2]), 100))).toEqual([5, 4, 1, 0x01, 1, 2]);
  });

  it('caps an imported memory and leaves the other imports byte for byte', () => {
    const fn = [...name('env'), ...name('f'), 0x00, 0];
    const table = [...name('env'), ...name('t'), 0x01, 0x70, 0x00, 1];
    const global = [...name('env'), ...name('g'), 0x03, 0x7f, 0x00];
    const memory = [...name('env'), ...name('mem'), 0x02, 0x00, 2];
    const types = section(1, [1, 0x60, 0, 0]);
    const out = capped(module(types, section(2, [4, ...fn, ...table, ...global, ...memory])), 16);
    const imports = [4, ...fn, ...table, ...global, ...name('env'), ...name('mem'), 0x02, 0x01, 2, 16];
    expect([...out]).toEqual([...HEADER, ...types, ...section(2, imports)]);
    expect(WebAssembly.validate(out)).toBe(true);
    const provided = new WebAssembly.Memory({ initial: 2, maximum: 16 });
    const env = { f: () => {}, t: new WebAssembly.Table({ initial: 1, element: 'anyfunc' }), g: new WebAssembly.Global({ value: 'i32' }, 0), mem: provided };
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(out), { env })).not.toThrow();
  });

  it('copies other sections unchanged and writes the largest cap (65536 pages) in three LEB128 bytes', () => {
    const custom = section(0, [...name('pad'), ...new Array(120).fill(7)]);
    const out = capped(module(custom, section(5, [1, 0x00, 0x80, 0x01])), 65536);
    expect([...out.subarray(8, 8 + custom.length)]).toEqual(custom);
    expect([...out.subarray(8 + custom.length)]).toEqual([5, 7, 1, 0x01, 0x80, 0x01, 0x80, 0x80, 0x04]);
    expect(WebAssembly.validate(out)).toBe(true);
  });

  it('re-encodes a section size that grows past one LEB128 byte (30 memories)', () => {
    const out = capped(module(section(5, [30, ...new Array(30).fill([0x00, 1]).flat()])), 65536);
    // 1 count byte + 30 × (flags, min, three max bytes) = 151 = 0x97 0x01.
    expect([...out.subarray(8, 12)]).toEqual([5, 0x97, 0x01, 30]);
    expect(out.length).toBe(8 + 3 + 151);
  });

  it('refuses a minimum above the cap, naming the pages and the field to raise', () => {
    expect(() => capped(definedMemory([0x00, 0x81, 0x01]), 128)).toThrow(
      /MC_ERR_WASM_LOAD: wasm\/test module test.wasm starts its memory 0 at 129 pages \(8\.0625 MiB\), above its cap of 128 pages \(8 MiB\)\. Raise limits\.memoryMaxPages in plugin\.json to at least 129\./,
    );
    try {
      capped(definedMemory([0x00, 0x81, 0x01]), 128);
    } catch (err) {
      expect((err as { details: object }).details).toEqual({ plugin: 'wasm/test', field: 'limits.memoryMaxPages' });
    }
  });

  it('refuses shared memory, memory64 and custom page sizes, which it cannot cap', () => {
    expect(() => capped(definedMemory([0x03, 1, 2]), 16)).toThrow(/a shared memory 0 \(threads\)/);
    expect(() => capped(definedMemory([0x04, 1]), 16)).toThrow(/a 64-bit memory 0 \(memory64\)/);
    expect(() => capped(definedMemory([0x08, 1, 16]), 16)).toThrow(/custom page size/);
    expect(() => capped(definedMemory([0x10, 1]), 16)).toThrow(/unknown limits flags 0x10/);
  });

  it('refuses bytes that are not a wasm module, or are cut short', () => {
    expect(() => capped(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 16)).toThrow(/is not a wasm module/);
    expect(() => capped(Uint8Array.from([...HEADER, 5, 9, 1, 0]), 16)).toThrow(/section 5 running past the end/);
    expect(() => capped(Uint8Array.from([...HEADER, 5, 3, 1, 0x00, 0x80]), 16)).toThrow(/ends in the middle of a section/);
    expect(() => capped(Uint8Array.from([...HEADER, 5, 4, 1, 0x00, 1, 0]), 16)).toThrow(/memory section whose size does not match/);
  });

  it('leaves a module without memory as it was', () => {
    const types = module(section(1, [1, 0x60, 0, 0]));
    expect([...capped(types, 16)]).toEqual([...types]);
  });
});
