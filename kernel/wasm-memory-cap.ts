// Caps a wasm module's linear memory by rewriting the maximum in its binary.
// Extism (JS) has no option for the guest's own memory (its memory.maxPages only
// counts Extism's buffers), but V8 enforces a memory's declared maximum: a
// memory.grow past it returns -1, the guest's allocator fails, and the guest
// traps instead of taking the host's RAM. Only the memory limits change; every
// other byte is copied as it was. Binary format: WebAssembly core spec §5.
import { mcError } from './errors.ts';

/** The most a 32-bit memory can have: 4 GiB in 64 KiB pages. */
export const WASM_MAX_PAGES = 65_536;
export const PAGE_BYTES = 65_536;

const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;
// Limits flags: bit 0 a maximum follows, bit 1 shared, bit 2 memory64, bit 3 a
// custom page size (a proposal) follows.
const HAS_MAX = 0x01;
const SHARED = 0x02;
const MEMORY64 = 0x04;
const KNOWN_FLAGS = HAS_MAX | SHARED | MEMORY64 | 0x08;
// Reference types with a heap type after them (GC proposal): (ref ht), (ref null ht).
const REF_WITH_HEAPTYPE = new Set([0x63, 0x64]);

/**
 * Returns the module with every memory it defines or imports capped at
 * `maxPages`: a missing maximum becomes `maxPages`, a larger one shrinks to it.
 * Refuses (MC_ERR_WASM_LOAD) memory64, shared memory, a minimum above the cap,
 * and bytes it cannot parse. `where` names the module in messages.
 */
export function capMemory(wasm: Uint8Array, maxPages: number, where: string, details: Record<string, string> = {}): Uint8Array {
  const r = new Reader(wasm, where, details);
  if (wasm.length < 8 || r.u32le(0) !== 0x6d736100) throw r.fail('is not a wasm module (no \\0asm header)');
  if (r.u32le(4) !== 1) throw r.fail(`has binary format version ${r.u32le(4)}; only version 1 is supported`);
  r.pos = 8;
  const out: Uint8Array[] = [wasm.subarray(0, 8)];
  while (r.pos < wasm.length) {
    const start = r.pos;
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (end > wasm.length) throw r.fail(`has section ${id} running past the end of the file`);
    if (id === SECTION_IMPORT || id === SECTION_MEMORY) {
      const body = id === SECTION_IMPORT ? capImports(r, end, maxPages) : capMemories(r, end, maxPages);
      out.push(Uint8Array.of(id), leb(body.length), body);
    } else {
      out.push(wasm.subarray(start, end));
    }
    r.pos = end;
  }
  return concat(out);
}

function capMemories(r: Reader, end: number, maxPages: number): Uint8Array {
  const parts: Uint8Array[] = [];
  const count = r.u32();
  parts.push(leb(count));
  for (let i = 0; i < count; i++) parts.push(capLimits(r, maxPages, `memory ${i}`));
  r.expectEnd(end, 'memory');
  return concat(parts);
}

function capImports(r: Reader, end: number, maxPages: number): Uint8Array {
  const parts: Uint8Array[] = [];
  const count = r.u32();
  parts.push(leb(count));
  for (let i = 0; i < count; i++) {
    const from = r.pos;
    const module = r.name();
    const field = r.name();
    const kind = r.byte();
    if (kind === 0x02) {
      parts.push(r.bytes.subarray(from, r.pos), capLimits(r, maxPages, `imported memory ${module}.${field}`));
      continue;
    }
    if (kind === 0x00) r.u32(); // function: type index
    else if (kind === 0x01) (r.refType(), r.skipLimits()); // table
    else if (kind === 0x03) (r.refType(), r.byte()); // global: value type, mutability
    else if (kind === 0x04) (r.byte(), r.u32()); // tag: attribute, type index
    else throw r.fail(`has import ${module}.${field} of unknown kind 0x${kind.toString(16)}`);
    parts.push(r.bytes.subarray(from, r.pos));
  }
  r.expectEnd(end, 'import');
  return concat(parts);
}

function capLimits(r: Reader, maxPages: number, what: string): Uint8Array {
  const flags = r.byte();
  if (flags & ~KNOWN_FLAGS) throw r.fail(`has ${what} with unknown limits flags 0x${flags.toString(16)}`);
  const rebuild = 'Build the module for wasm32 with one plain memory: no memory64, threads (shared memory) or custom page sizes.';
  if (flags & MEMORY64) throw r.fail(`has a 64-bit ${what} (memory64), which the kernel cannot cap`, rebuild);
  if (flags & SHARED) throw r.fail(`has a shared ${what} (threads), which the kernel cannot cap`, rebuild);
  if (flags & 0x08) throw r.fail(`has ${what} with a custom page size, which the kernel does not support`, rebuild);
  const min = r.u32();
  const max = flags & HAS_MAX ? r.u32() : WASM_MAX_PAGES;
  if (min > maxPages) {
    throw r.fail(`starts its ${what} at ${min} pages (${mib(min)}), above its cap of ${maxPages} pages (${mib(maxPages)})`, `Raise limits.memoryMaxPages in plugin.json to at least ${min}.`, { field: 'limits.memoryMaxPages' });
  }
  return concat([Uint8Array.of(HAS_MAX), leb(min), leb(Math.min(max, maxPages))]);
}

export function mib(pages: number): string {
  return `${(pages * PAGE_BYTES) / 2 ** 20} MiB`;
}

class Reader {
  pos = 0;
  readonly bytes: Uint8Array;
  readonly where: string;
  readonly details: Record<string, string>;

  constructor(bytes: Uint8Array, where: string, details: Record<string, string>) {
    this.bytes = bytes;
    this.where = where;
    this.details = details;
  }

  /** A refusal naming the module; without a `fix`, the registry's (rebuild the module). */
  fail(text: string, fix?: string, details: Record<string, string> = {}): Error {
    return mcError('MC_ERR_WASM_LOAD', `${this.where} ${text}`, { ...this.details, ...details }, undefined, fix);
  }

  u32le(at: number): number {
    return new DataView(this.bytes.buffer, this.bytes.byteOffset + at, 4).getUint32(0, true);
  }

  byte(): number {
    if (this.pos >= this.bytes.length) throw this.fail('ends in the middle of a section');
    return this.bytes[this.pos++]!;
  }

  /** Unsigned LEB128, at most 5 bytes (u32). */
  u32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) {
        if (result > 0xffffffff) break;
        return result;
      }
    }
    throw this.fail(`has a malformed LEB128 number at byte ${this.pos}`);
  }

  /** Any LEB128 (u64, s33): only skipped, never read. */
  skipLeb(): void {
    for (let i = 0; i < 10; i++) if (!(this.byte() & 0x80)) return;
    throw this.fail(`has a malformed LEB128 number at byte ${this.pos}`);
  }

  name(): string {
    const length = this.u32();
    const end = this.pos + length;
    if (end > this.bytes.length) throw this.fail('ends in the middle of a name');
    const text = new TextDecoder().decode(this.bytes.subarray(this.pos, end));
    this.pos = end;
    return text;
  }

  refType(): void {
    if (REF_WITH_HEAPTYPE.has(this.byte())) this.skipLeb();
  }

  skipLimits(): void {
    const flags = this.byte();
    this.skipLeb();
    if (flags & HAS_MAX) this.skipLeb();
  }

  expectEnd(end: number, section: string): void {
    if (this.pos !== end) throw this.fail(`has a ${section} section whose size does not match its contents`);
  }
}

function leb(n: number): Uint8Array {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Uint8Array.from(out);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
