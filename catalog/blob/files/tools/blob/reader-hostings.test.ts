// Streamed reads through the real kernel: a blob many times larger than one
// message, read by the Go SDK's reader (Blob.Open) in a Go sidecar and a Go wasm
// module and by the Rust SDK's (blob::open) in a Rust wasm module and a Rust
// sidecar — the conformance probes (test/conformance/probes), whose "blob.Open"
// reads a whole blob and answers the size and SHA-256 it read. The message limit
// is the smallest the kernel takes (64 KiB), so each read is dozens of ranged
// Gets, and the whole-blob Get that does not fit is refused in every hosting.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary, toBinary, create } from '@bufbuild/protobuf';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Kernel } from '../../kernel/index.ts';
import { BlobGetRequestSchema, BlobPutResponseSchema } from '../../proto/gen/microcore/v1/blob_pb.js';
import { buildProbes, HOSTINGS, link, projectFiles } from '../../test/conformance/hostings.ts';
import { addedCatalogTools, REAL_TOOLS, writeProject } from '../../test/project.ts';
import { ANSWER_HEADROOM } from './rules.ts';

const LIMIT = 64 * 1024;
const READERS = HOSTINGS.filter((h) => h.kind !== 'native');
let kernel: Kernel;
let root: string;
let dataDir: string;
let url: string;

beforeAll(async () => {
  buildProbes();
  const { files, links } = projectFiles(READERS);
  // The probes need every contract tool: the core ones and those added from the catalog.
  root = writeProject(files, [...REAL_TOOLS, ...addedCatalogTools()]);
  link(root, links);
  dataDir = mkdtempSync(join(tmpdir(), 'mc-blob-read-'));
  kernel = new Kernel({
    root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_PATH: join(dataDir, 'db.sqlite'), BLOB_DIR: join(dataDir, 'blobs'), AI_CONTEXT_PATH: 'off', MC_MESSAGE_LIMIT_BYTES: String(LIMIT) },
  });
  const report = await kernel.boot();
  expect(report.filter((i) => i.status !== 'ready')).toEqual([]);
  url = `http://127.0.0.1:${(kernel.getTool('http') as { port: number }).port}`;
}, 900_000);

afterAll(async () => {
  await kernel?.shutdown();
  if (root) rmSync(root, { recursive: true, force: true });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function probe(hosting: string, method: string, key: string): Promise<{ response?: string; error?: { code: string; message: string } }> {
  const request = Buffer.from(toBinary(BlobGetRequestSchema, create(BlobGetRequestSchema, { key }))).toString('base64');
  const res = await fetch(`${url}/conformance/${hosting}/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tool: 'blob', method, request }) });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { response?: string; error?: { code: string; message: string } };
}

it('reads a blob of many messages through the Go and Rust SDK readers in every hosting', async () => {
  // 1 MiB and an odd tail: 22 ranges of one answer's worth (64 KiB less the headroom).
  const data = randomBytes(1024 * 1024 + 333);
  const blob = kernel.getTool('blob') as { put(i: object, c: object): Promise<unknown> };
  await blob.put({ key: 'big/video.bin', data: new Uint8Array(data), contentType: 'video/mp4' }, { caller: 'test', traceId: '0'.repeat(32) });
  const sha256 = createHash('sha256').update(data).digest('hex');
  expect(Math.ceil(data.length / (LIMIT - ANSWER_HEADROOM))).toBeGreaterThan(20);
  for (const h of READERS) {
    const whole = await probe(h.name, 'Get', 'big/video.bin');
    expect(whole.error, `${h.name}: a whole-blob Get`).toMatchObject({ code: 'MC_ERR_MESSAGE_TOO_LARGE' });
    expect(whole.error!.message).toContain('more than one answer holds');
    const read = await probe(h.name, 'Open', 'big/video.bin');
    expect(read.error, `${h.name}: ${JSON.stringify(read.error)}`).toBeUndefined();
    expect(fromBinary(BlobPutResponseSchema, Buffer.from(read.response!, 'base64')), h.name).toMatchObject({ size: BigInt(data.length), sha256 });
    const missing = await probe(h.name, 'Open', 'big/none');
    expect(missing.error, h.name).toMatchObject({ code: 'MC_ERR_NOT_FOUND' });
  }
}, 600_000);
