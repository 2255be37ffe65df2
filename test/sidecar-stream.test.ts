// Issue 9: protocol version 3, one call stream per sidecar (kernel/sidecar-stream.ts,
// sdk/go/stream.go, sdk/rust/src/sidecar/stream.rs), with the real Go and Rust sidecars. The version is agreed in the
// handshake; a large tool result goes in pieces without holding up the small
// calls behind it; a call past callTimeoutMs is cancelled and the stream keeps
// serving.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { createSelfSignedCert } from '../kernel/self-signed-cert.ts';
import { bootProject, PARITY_FIXTURES, type TestProject } from './project.ts';

const BINARY = join(PARITY_FIXTURES, 'sidecars/parity-go/bin/parity-go');
const RUST_BINARY = join(PARITY_FIXTURES, 'sidecars/parity-rustsc/bin/parity-rustsc');
let project: TestProject | undefined;
afterEach(async () => {
  await project?.stop();
  project = undefined;
});

/** The handshake line the Go sidecar prints when the kernel offers `versions`. */
async function handshakeLine(versions: string, binary = BINARY, identity = 'sidecar/parity-go'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-hs-'));
  const child = spawn(binary, [], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      PATH: process.env.PATH,
      MICROCORE_PLUGIN_COOKIE: 'microcore-sidecar-v1',
      MICROCORE_PROTOCOL_VERSIONS: versions,
      MICROCORE_KERNEL_ADDRESS: `unix://${join(dir, 'kernel.sock')}`,
      MICROCORE_KERNEL_CERT: createSelfSignedCert('microcore-kernel').certPem,
      MICROCORE_IDENTITY: identity,
      MICROCORE_SOCKET_DIR: dir,
    },
  });
  try {
    const [line] = await new Promise<string[]>((resolve) => createInterface({ input: child.stdout }).once('line', (l) => resolve([l])));
    return line!;
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

function files(manifest: object = {}): Record<string, string> {
  return {
    'domains/parity/migrations/001.sql': readFileSync(join(PARITY_FIXTURES, 'domains/parity/migrations/001_parity_items.sql'), 'utf8'),
    'sidecars/parity-go/sidecar.json': JSON.stringify({ name: 'parity-go', command: BINARY, needs: ['http', 'db', 'logger', 'bus'], startTimeoutMs: 5000, ...manifest }),
  };
}

describe('the sidecar call stream (protocol version 3)', () => {
  it('is what Go and Rust sidecars pick when the kernel offers it, and version 2 is kept for sidecars that speak only that', async () => {
    expect(await handshakeLine('2,3')).toMatch(/^1\|3\|unix\|/);
    expect(await handshakeLine('2')).toMatch(/^1\|2\|unix\|/);
    expect(await handshakeLine('2,3', RUST_BINARY, 'sidecar/parity-rustsc')).toMatch(/^1\|3\|unix\|/);
    expect(await handshakeLine('2', RUST_BINARY, 'sidecar/parity-rustsc')).toMatch(/^1\|2\|unix\|/);
  });

  it('carries a 6 MiB tool result in pieces while small calls on the same stream keep being answered', async () => {
    project = await bootProject(files(), { env: { HTTP_EXPOSE_ERRORS: 'true' } });
    let blobDone = false;
    const blob = fetch(`${project.url}/parity/go/blob/${6 * 1024}`).then(async (res) => {
      blobDone = true;
      return { status: res.status, body: (await res.json()) as { bytes: number } };
    });
    let answeredDuring = 0;
    for (let i = 0; i < 200 && !blobDone; i++) {
      const res = await fetch(`${project.url}/parity/go/count`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      if (!blobDone) answeredDuring++;
    }
    expect(await blob).toEqual({ status: 200, body: { bytes: 6 * 1024 * 1024 } });
    expect(answeredDuring, 'small calls answered while the 6 MiB result was on its way').toBeGreaterThan(0);
  });

  it('gives up on a call past callTimeoutMs and goes on serving on the same stream', async () => {
    project = await bootProject(
      {
        ...files({ callTimeoutMs: 300 }),
        'domains/slow/plugins/never.ts': `export class NeverPlugin { constructor({ bus }) { this.bus = bus; } async onBoot() { await this.bus.subscribe({ topic: 'parity.slow.echo', handler: () => new Promise(() => {}) }); } }`,
      },
      { env: { HTTP_EXPOSE_ERRORS: 'true' } },
    );
    const slow = await fetch(`${project.url}/parity/go/request/slow`, { method: 'POST' });
    expect(slow.status).toBe(500);
    expect(((await slow.json()) as { error: { message: string } }).error.message).toContain('did not finish Plugin.invoke within 300 ms');
    const res = await fetch(`${project.url}/parity/go/count`);
    expect(res.status).toBe(200);
    expect(project.item('sidecar/parity-go')!.status).toBe('ready');
  });
});
