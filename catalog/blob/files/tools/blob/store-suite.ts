// The tests both blob drivers pass alike (tools/blob/tool.test.ts on a real
// temp directory, tools/blob-postgres/tool.test.ts on the test PostgreSQL):
// the same calls, the same answers, value for value.
import { expect, it } from 'vitest';
import type { CallContext, Plain } from '../../kernel/index.ts';
import type { BlobDeleteRequest, BlobDeleteResponse, BlobGetRequest, BlobGetResponse, BlobListRequest, BlobListResponse, BlobPutRequest, BlobPutResponse } from '../../proto/gen/microcore/v1/blob_pb.js';
import { ANSWER_HEADROOM, sha256 } from './rules.ts';

export const call: CallContext = { caller: 'files/upload', traceId: '0'.repeat(32) };

/** A driver's methods with their answers complete (ToolMethods<'blob'> lets a driver leave fields out; ours answer every one). */
export interface Store {
  put(input: Plain<BlobPutRequest>, call: CallContext): Promise<Plain<BlobPutResponse>>;
  get(input: Plain<BlobGetRequest>, call: CallContext): Promise<Plain<BlobGetResponse>>;
  list(input: Plain<BlobListRequest>, call: CallContext): Promise<Plain<BlobListResponse>>;
  delete(input: Plain<BlobDeleteRequest>, call: CallContext): Promise<Plain<BlobDeleteResponse>>;
}

/** A store set up with these settings; the suite passes a small message limit where it tests ranges. */
export type MakeStore = (env?: Record<string, string>) => Promise<Store>;

const bytes = (s: string) => new Uint8Array(Buffer.from(s));
const text = (r: Plain<BlobGetResponse>) => Buffer.from(r.data).toString();
const err = async (p: unknown) => {
  try {
    await p;
  } catch (e) {
    return e as Error & { code: string; details: Record<string, string> };
  }
  throw new Error('expected a rejection');
};

export function blobStoreSuite(make: MakeStore): void {
  it('puts, gets, overwrites and deletes, answering size, checksum and content type', async () => {
    const s = await make();
    expect(await s.put({ key: 'docs/a.txt', data: bytes('hello'), contentType: 'text/plain' }, call)).toEqual({ size: 5n, sha256: sha256(bytes('hello')) });
    expect(await s.get({ key: 'docs/a.txt', offset: 0n, length: 0n }, call)).toEqual({ found: true, data: bytes('hello'), contentType: 'text/plain', size: 5n, sha256: sha256(bytes('hello')) });
    // Overwrite: a new blob, a new type; the empty type is stored as application/octet-stream.
    await s.put({ key: 'docs/a.txt', data: bytes('bye'), contentType: '' }, call);
    expect(await s.get({ key: 'docs/a.txt', offset: 0n, length: 0n }, call)).toEqual({ found: true, data: bytes('bye'), contentType: 'application/octet-stream', size: 3n, sha256: sha256(bytes('bye')) });
    expect(await s.delete({ key: 'docs/a.txt' }, call)).toEqual({ deleted: true });
    expect(await s.delete({ key: 'docs/a.txt' }, call)).toEqual({ deleted: false });
    expect(await s.get({ key: 'docs/a.txt', offset: 0n, length: 0n }, call)).toEqual({ found: false, data: new Uint8Array(), contentType: '', size: 0n, sha256: '' });
  });

  it('keeps an empty blob and binary bytes exact', async () => {
    const s = await make();
    await s.put({ key: 'empty', data: new Uint8Array(), contentType: '' }, call);
    expect(await s.get({ key: 'empty', offset: 0n, length: 0n }, call)).toMatchObject({ found: true, data: new Uint8Array(), size: 0n });
    const all = new Uint8Array(256).map((_, i) => i);
    await s.put({ key: 'bin/all-bytes', data: all, contentType: 'application/x-test' }, call);
    expect((await s.get({ key: 'bin/all-bytes', offset: 0n, length: 0n }, call)).data).toEqual(all);
  });

  it('refuses keys that could leave the store, naming the key and the rule', async () => {
    const s = await make();
    const cases: [string, string][] = [
      ['../x', 'dot-segment'],
      ['/etc/passwd', 'absolute'],
      ['a/../../b', 'dot-segment'],
      ['a\\b', 'backslash'],
      ['a//b', 'empty-segment'],
      ['a/', 'empty-segment'],
      ['./a', 'dot-segment'],
      ['a/.hidden', 'dot-segment'],
      ['', 'empty'],
      ['a\u0000b', 'control'],
      ['a\nb', 'control'],
      ['k'.repeat(1025), 'length'],
      [`${'s'.repeat(256)}/x`, 'segment-length'],
    ];
    for (const [key, rule] of cases) {
      for (const attempt of [() => s.put({ key, data: bytes('x'), contentType: '' }, call), () => s.get({ key, offset: 0n, length: 0n }, call), () => s.delete({ key }, call)]) {
        const e = await err(attempt());
        expect(e.code, key).toBe('MC_ERR_INVALID_ARGUMENT');
        expect(e.details, key).toMatchObject({ key, rule });
        expect(e.message).toContain(JSON.stringify(key).slice(0, 40));
      }
    }
    // The longest key and segment are fine.
    const longest = `${'s'.repeat(255)}/${'k'.repeat(1024 - 256)}`;
    expect(Buffer.byteLength(longest)).toBe(1024);
    await expect(s.put({ key: longest, data: bytes('x'), contentType: '' }, call)).rejects.toMatchObject({ details: { rule: 'segment-length' } });
    await s.put({ key: `${'s'.repeat(255)}/${'k'.repeat(255)}`, data: bytes('x'), contentType: '' }, call);
    await s.put({ key: 'ünï/cødé 🚀 (1).txt', data: bytes('u'), contentType: '' }, call);
    expect(text(await s.get({ key: 'ünï/cødé 🚀 (1).txt', offset: 0n, length: 0n }, call))).toBe('u');
  });

  it('refuses a bad content type', async () => {
    const s = await make();
    for (const contentType of ['text/plain\r\nX-Evil: 1', 'x'.repeat(256), 'tëxt/plain']) {
      await expect(s.put({ key: 'ct', data: bytes('x'), contentType }, call)).rejects.toMatchObject({ code: 'MC_ERR_INVALID_ARGUMENT', details: { field: 'contentType' } });
    }
  });

  it('refuses a blob past BLOB_MAX_BYTES with MC_ERR_MESSAGE_TOO_LARGE, and stores one at the limit', async () => {
    const s = await make({ BLOB_MAX_BYTES: '1000' });
    const e = await err(s.put({ key: 'big', data: new Uint8Array(1001), contentType: '' }, call));
    expect(e).toMatchObject({ code: 'MC_ERR_MESSAGE_TOO_LARGE', details: { key: 'big', bytes: '1001', limit: '1000', setting: 'BLOB_MAX_BYTES' } });
    expect((await s.get({ key: 'big', offset: 0n, length: 0n }, call)).found).toBe(false);
    await s.put({ key: 'big', data: new Uint8Array(1000), contentType: '' }, call);
    expect((await s.get({ key: 'big', offset: 0n, length: 0n }, call)).size).toBe(1000n);
  });

  it('reads ranges, at the edges too, and cuts a range to what one answer holds', async () => {
    // The smallest message limit: one answer holds 64 KiB less the headroom.
    const s = await make({ MC_MESSAGE_LIMIT_BYTES: String(64 * 1024) });
    const maxRead = 64 * 1024 - ANSWER_HEADROOM;
    const data = new Uint8Array(maxRead * 2 + 10).map((_, i) => (i * 7) % 251);
    await s.put({ key: 'r/big.bin', data, contentType: 'application/x-big' }, call);
    const get = (offset: number, length: number) => s.get({ key: 'r/big.bin', offset: BigInt(offset), length: BigInt(length) }, call);
    const whole = { found: true, contentType: 'application/x-big', size: BigInt(data.length), sha256: sha256(data) };
    expect(await get(0, 10)).toEqual({ ...whole, data: data.subarray(0, 10) });
    expect(await get(5, 1)).toEqual({ ...whole, data: data.subarray(5, 6) });
    expect(await get(data.length - 3, 10)).toEqual({ ...whole, data: data.subarray(data.length - 3) });
    expect(await get(data.length - 3, 0)).toEqual({ ...whole, data: data.subarray(data.length - 3) });
    // At the end: no data; past it: refused.
    expect(await get(data.length, 0)).toEqual({ ...whole, data: new Uint8Array() });
    expect(await get(data.length, 5)).toEqual({ ...whole, data: new Uint8Array() });
    expect(await err(get(data.length + 1, 0))).toMatchObject({ code: 'MC_ERR_INVALID_ARGUMENT', details: { field: 'offset', size: String(data.length) } });
    expect(await err(get(-1, 0))).toMatchObject({ code: 'MC_ERR_INVALID_ARGUMENT', details: { field: 'offset' } });
    expect(await err(get(0, -1))).toMatchObject({ code: 'MC_ERR_INVALID_ARGUMENT', details: { field: 'length' } });
    expect(await err(s.get({ key: 'r/big.bin', offset: 1n << 40n, length: 1n << 40n }, call))).toMatchObject({ code: 'MC_ERR_INVALID_ARGUMENT', details: { field: 'offset' } });
    // The whole rest does not fit one answer: refused, saying to read in ranges.
    const e = await err(get(0, 0));
    expect(e).toMatchObject({ code: 'MC_ERR_MESSAGE_TOO_LARGE', details: { limit: String(maxRead), bytes: String(data.length) } });
    expect(e.message).toContain('more than one answer holds');
    // A long length is cut to one answer's worth; reading on from there gets the rest.
    const parts: Uint8Array[] = [];
    for (let offset = 0; offset < data.length; ) {
      const r = await get(offset, 1 << 30);
      expect(r.data.length).toBe(Math.min(maxRead, data.length - offset));
      parts.push(r.data);
      offset += r.data.length;
    }
    expect(Buffer.concat(parts)).toEqual(Buffer.from(data));
    // Exactly one answer's worth fits.
    expect((await get(data.length - maxRead, 0)).data.length).toBe(maxRead);
  });

  it('lists by prefix in key byte order, a page at a time', async () => {
    const s = await make();
    const keys = ['p/b', 'p/a-c', 'p/a/x', 'p/a/y/z', 'p/a0', 'p/ä', 'p/z', 'q/other', 'pz'];
    for (const k of keys) await s.put({ key: k, data: bytes(k), contentType: 'text/plain' }, call);
    const all = await s.list({ prefix: 'p/', after: '', limit: 0 }, call);
    // UTF-8 byte order: '-' < '/' < '0' < 'b' < 'z' < 'ä'.
    expect(all.items.map((i) => i.key)).toEqual(['p/a-c', 'p/a/x', 'p/a/y/z', 'p/a0', 'p/b', 'p/z', 'p/ä']);
    expect(all.next).toBe('');
    expect(all.items[0]).toEqual({ key: 'p/a-c', size: 5n, contentType: 'text/plain', modifiedMs: expect.any(BigInt) });
    expect(Math.abs(Number(all.items[0]!.modifiedMs) - Date.now())).toBeLessThan(60_000);
    // Pages of two, each continuing after the last.
    const seen: string[] = [];
    let after = '';
    let pages = 0;
    do {
      const page = await s.list({ prefix: 'p/', after, limit: 2 }, call);
      seen.push(...page.items.map((i) => i.key));
      expect(page.next).toBe(page.items.length === 2 && seen.length < 7 ? page.items[1]!.key : '');
      after = page.next;
      pages++;
    } while (after);
    expect(seen).toEqual(all.items.map((i) => i.key));
    expect(pages).toBe(4);
    // A prefix is text, not only a folder; `after` may be any text.
    expect((await s.list({ prefix: 'p/a', after: '', limit: 0 }, call)).items.map((i) => i.key)).toEqual(['p/a-c', 'p/a/x', 'p/a/y/z', 'p/a0']);
    expect((await s.list({ prefix: 'p', after: 'p/b', limit: 0 }, call)).items.map((i) => i.key)).toEqual(['p/z', 'p/ä', 'pz']);
    expect((await s.list({ prefix: 'p/a/', after: 'p/a/x', limit: 0 }, call)).items.map((i) => i.key)).toEqual(['p/a/y/z']);
    expect((await s.list({ prefix: 'nothing/', after: '', limit: 0 }, call)).items).toEqual([]);
    // Deleted keys are gone from the list.
    await s.delete({ key: 'p/a/y/z' }, call);
    expect((await s.list({ prefix: 'p/a/', after: '', limit: 0 }, call)).items.map((i) => i.key)).toEqual(['p/a/x']);
    await expect(s.list({ prefix: '', after: '', limit: -1 }, call)).rejects.toMatchObject({ code: 'MC_ERR_INVALID_ARGUMENT', details: { field: 'limit' } });
    await expect(s.list({ prefix: 'a\u0000', after: '', limit: 0 }, call)).rejects.toMatchObject({ code: 'MC_ERR_INVALID_ARGUMENT', details: { field: 'prefix' } });
  });

  it('pages 1000 at most and 100 by default', async () => {
    const s = await make();
    await Promise.all(Array.from({ length: 120 }, (_, i) => s.put({ key: `many/${String(i).padStart(3, '0')}`, data: bytes('x'), contentType: '' }, call)));
    const first = await s.list({ prefix: 'many/', after: '', limit: 0 }, call);
    expect(first.items.length).toBe(100);
    expect(first.next).toBe('many/099');
    expect((await s.list({ prefix: 'many/', after: first.next, limit: 5000 }, call)).items.length).toBe(20);
  });

  it('refuses a key that is a blob and a folder at once (MC_ERR_CONFLICT), in either order', async () => {
    const s = await make();
    await s.put({ key: 'c/file', data: bytes('x'), contentType: '' }, call);
    expect(await err(s.put({ key: 'c/file/inner', data: bytes('y'), contentType: '' }, call))).toMatchObject({ code: 'MC_ERR_CONFLICT', details: { key: 'c/file/inner', conflict: 'c/file' } });
    expect(await err(s.put({ key: 'c/file/deeper/still', data: bytes('y'), contentType: '' }, call))).toMatchObject({ code: 'MC_ERR_CONFLICT', details: { conflict: 'c/file' } });
    await s.put({ key: 'c/dir/inner', data: bytes('y'), contentType: '' }, call);
    expect(await err(s.put({ key: 'c/dir', data: bytes('z'), contentType: '' }, call))).toMatchObject({ code: 'MC_ERR_CONFLICT', details: { key: 'c/dir', conflict: 'c/dir/' } });
    // A folder is no blob: reading or deleting it finds nothing.
    expect((await s.get({ key: 'c/dir', offset: 0n, length: 0n }, call)).found).toBe(false);
    expect(await s.delete({ key: 'c/dir' }, call)).toEqual({ deleted: false });
    expect((await s.get({ key: 'c/file/inner', offset: 0n, length: 0n }, call)).found).toBe(false);
    // Once the folder's last key is gone, its name may be a blob.
    await s.delete({ key: 'c/dir/inner' }, call);
    await s.put({ key: 'c/dir', data: bytes('z'), contentType: '' }, call);
    expect(text(await s.get({ key: 'c/dir', offset: 0n, length: 0n }, call))).toBe('z');
    expect((await s.list({ prefix: 'c/', after: '', limit: 0 }, call)).items.map((i) => i.key)).toEqual(['c/dir', 'c/file']);
  });

  it('never lets a reader see part of a blob while another replaces it', async () => {
    const s = await make();
    const a = new Uint8Array(512 * 1024).fill(0x61);
    const b = new Uint8Array(700 * 1024).fill(0x62);
    await s.put({ key: 'atomic/x', data: a, contentType: 'text/a' }, call);
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 30; i++) await s.put({ key: 'atomic/x', data: i % 2 ? a : b, contentType: i % 2 ? 'text/a' : 'text/b' }, call);
      writing = false;
    })();
    let reads = 0;
    while (writing) {
      const r = await s.get({ key: 'atomic/x', offset: 0n, length: 0n }, call);
      expect(r.found).toBe(true);
      const want = r.contentType === 'text/a' ? a : b;
      expect(r.data.length).toBe(want.length);
      expect(Buffer.from(r.data).equals(Buffer.from(want))).toBe(true);
      expect(r.sha256).toBe(sha256(want));
      reads++;
    }
    await writer;
    expect(reads).toBeGreaterThan(0);
  });

  it('fails its setup on a bad BLOB_MAX_BYTES', async () => {
    await expect(make({ BLOB_MAX_BYTES: 'lots' })).rejects.toMatchObject({ code: 'MC_ERR_TOOL_SETUP', details: { setting: 'BLOB_MAX_BYTES' } });
  });
}
