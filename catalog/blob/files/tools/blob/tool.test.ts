// The blob tool on a real temp directory: the drivers' shared suite
// (store-suite.ts), then what only a directory has: symbolic links planted in
// it, files put there by hand, the layout on disk.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ToolContext } from '../../kernel/index.ts';
import { silentLog } from '../../kernel/log.ts';
import { blobStoreSuite, call } from './store-suite.ts';
import DirectoryBlob from './tool.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'mc-blob-'));
  dirs.push(d);
  return d;
}

async function store(env: Record<string, string> = {}, root = tempDir()): Promise<DirectoryBlob> {
  const s = new DirectoryBlob();
  await s.setup({ root, env: { BLOB_DIR: join(root, 'blobs'), ...env }, log: silentLog() } as unknown as ToolContext);
  return s;
}

const bytes = (t: string) => new Uint8Array(Buffer.from(t));

describe('blob on a directory', () => {
  blobStoreSuite((env) => store(env));

  it('is chosen unless DATABASE_URL names PostgreSQL', () => {
    expect(DirectoryBlob.enabled({})).toBe(true);
    expect(DirectoryBlob.enabled({ DATABASE_URL: 'postgres://u@h/db' })).toBe(false);
  });

  it('keeps blobs under data/blobs of the project by default, one file each, no temp file left', async () => {
    const root = tempDir();
    const s = new DirectoryBlob();
    await s.setup({ root, env: {}, log: silentLog() } as unknown as ToolContext);
    await s.put({ key: 'a/b.txt', data: bytes('hi'), contentType: 'text/plain' }, call);
    const file = readFileSync(join(root, 'data/blobs/a/b.txt'), 'utf8');
    expect(file).toMatch(/^MCBLOB1 \{.*"contentType":"text\/plain".*\}\nhi$/);
    expect(readdirSync(join(root, 'data/blobs/a'))).toEqual(['b.txt']);
    // Deleting the last key of a folder removes the folder.
    await s.delete({ key: 'a/b.txt' }, call);
    expect(readdirSync(join(root, 'data/blobs'))).toEqual([]);
  });

  it('refuses a key whose path meets a symbolic link planted in the directory, and writes nothing outside', async () => {
    const root = tempDir();
    const outside = join(root, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret'), 'MCBLOB1 {"size":6,"sha256":"x","contentType":"text/plain","modifiedMs":1}\nsecret');
    const s = await store({}, root);
    const blobs = join(root, 'blobs');
    symlinkSync(outside, join(blobs, 'escape'));
    symlinkSync(join(outside, 'secret'), join(blobs, 'secret-link'));
    for (const key of ['escape/secret', 'escape/new', 'secret-link']) {
      for (const attempt of [
        () => s.get({ key, offset: 0n, length: 0n }, call),
        () => s.put({ key, data: bytes('pwned'), contentType: '' }, call),
        () => s.delete({ key }, call),
      ]) {
        await expect(attempt(), key).rejects.toMatchObject({ code: 'MC_ERR_INVALID_ARGUMENT', details: { key, rule: 'symlink' } });
      }
    }
    const e = await s.get({ key: 'escape/secret', offset: 0n, length: 0n }, call).catch((x: Error) => x);
    expect((e as Error).message).toContain('outside BLOB_DIR');
    expect(readdirSync(outside).sort()).toEqual(['secret']);
    expect(readFileSync(join(outside, 'secret'), 'utf8')).toContain('secret');
    // List follows no link either.
    await s.put({ key: 'fine', data: bytes('ok'), contentType: '' }, call);
    expect((await s.list({ prefix: '', after: '', limit: 0 }, call)).items.map((i) => i.key)).toEqual(['fine']);
  });

  it('follows BLOB_DIR itself when it is a link', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'real'));
    symlinkSync(join(root, 'real'), join(root, 'linked'));
    const s = await store({ BLOB_DIR: join(root, 'linked') }, root);
    await s.put({ key: 'x/y', data: bytes('z'), contentType: '' }, call);
    expect(readFileSync(join(root, 'real/x/y'), 'utf8')).toMatch(/\nz$/);
  });

  it('answers a file put there by hand as not a blob (MC_ERR_CONFLICT), and leaves it out of List', async () => {
    const root = tempDir();
    const s = await store({}, root);
    writeFileSync(join(root, 'blobs/by-hand.txt'), 'no header here');
    writeFileSync(join(root, 'blobs/.hidden'), 'x');
    await expect(s.get({ key: 'by-hand.txt', offset: 0n, length: 0n }, call)).rejects.toMatchObject({ code: 'MC_ERR_CONFLICT', details: { key: 'by-hand.txt', setting: 'BLOB_DIR' } });
    expect((await s.list({ prefix: '', after: '', limit: 0 }, call)).items).toEqual([]);
  });

  it('fails its setup naming BLOB_DIR when the directory cannot be made', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'file'), 'x');
    await expect(store({ BLOB_DIR: join(root, 'file/blobs') }, root)).rejects.toMatchObject({ code: 'MC_ERR_TOOL_SETUP', details: { setting: 'BLOB_DIR' } });
  });
});
