// The Rust sidecar transport's process lifetime, on the real binary
// (sidecars/parity-rustsc, sdk/rust/src/sidecar/): run by hand it says one
// sentence and exits 1; started with the kernel's environment it prints the
// handshake line, and it exits, removing its socket, on SIGTERM or when its
// parent dies (a shell stands in for the kernel, as in sdk/go/subprocess_test.go).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSelfSignedCert } from '../kernel/self-signed-cert.ts';
import { PARITY_FIXTURES } from './project.ts';

const SIDECAR = join(PARITY_FIXTURES, 'sidecars/parity-rustsc/bin/parity-rustsc');
let dir = '';

beforeAll(() => {
  if (!existsSync(SIDECAR)) throw new Error('sidecars/parity-rustsc is not built: run bash scripts/setup.sh');
});
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});

function kernelEnv(): Record<string, string> {
  dir = mkdtempSync(join(tmpdir(), 'mc-rs-'));
  return {
    PATH: process.env.PATH ?? '',
    MICROCORE_PLUGIN_COOKIE: 'microcore-sidecar-v1',
    MICROCORE_PROTOCOL_VERSIONS: '2',
    // Never dialled: tool calls start with OnBoot, which nobody sends here.
    MICROCORE_KERNEL_ADDRESS: `unix://${join(dir, 'kernel.sock')}`,
    MICROCORE_KERNEL_CERT: createSelfSignedCert('kernel').certPem,
    MICROCORE_IDENTITY: 'sidecar/rs-life',
    MICROCORE_SOCKET_DIR: dir,
  };
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', resolve);
    child.once('error', reject);
  });
}

function closed(child: ChildProcess, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe('a Rust sidecar process', () => {
  it('run by hand, prints one sentence saying the kernel starts it and exits 1', () => {
    const res = spawnSync(SIDECAR, [], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 10_000 });
    expect(res.status).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('parity-rustsc is a MicroCore sidecar that the kernel starts, not a program to run by hand');
  });

  it('prints the handshake line, and exits on SIGTERM, removing its socket', async () => {
    const child = spawn(SIDECAR, [], { env: kernelEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await firstLine(child);
    expect(line).toMatch(new RegExp(`^1\\|2\\|unix\\|${join(dir, 'rs-life.sock').replace(/[/.]/g, '\\$&')}\\|grpc\\|[A-Za-z0-9+/]+=*$`));
    expect(existsSync(join(dir, 'rs-life.sock'))).toBe(true);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(join(dir, 'rs-life.sock')), 'the socket was left behind').toBe(false);
  });

  it('exits when its parent (the kernel) exits', async () => {
    // The shell starts the sidecar in the background and exits when stdin closes;
    // the sidecar keeps the shell's stdout, so 'close' fires only once it exits too.
    const shell = spawn('sh', ['-c', '"$0" </dev/null & read -r _ || :', SIDECAR], { env: kernelEnv(), stdio: ['pipe', 'pipe', 'inherit'] });
    expect(await firstLine(shell)).toMatch(/^1\|2\|unix\|/);
    // stdin ends as soon as the handshake line is read: under load that is before the
    // sidecar's runtime first looks at its parent (it used to read the parent then, and
    // so missed the exit: sdk/rust/src/sidecar/lifetime.rs).
    const gone = closed(shell, 5_000);
    shell.stdin!.end();
    expect(await gone, 'the sidecar did not exit within 5 s of its parent').toBe(true);
    expect(existsSync(join(dir, 'rs-life.sock')), 'the socket was left behind').toBe(false);
  });
});
