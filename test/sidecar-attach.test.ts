// Sidecars by address, with real processes and real TLS: the parity sidecar
// (Go, and Rust for the main cycle) started by the test as an operator would,
// not by the kernel, on a free TCP port, and a project whose sidecar.json names
// that address and pins its certificate. The kernel attaches; a native plugin's bus request and the
// sidecar's own tool calls work; killed, it is reported down and calls fail
// fast; started again, it is reconnected and serves. A wrong certificate on
// either side is refused with a clear error, and nothing is served.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Kernel } from '../kernel/kernel.ts';
import type { ReportItem } from '../kernel/registry.ts';
import { KERNEL_CERT_FILE } from '../kernel/kernel-identity.ts';
import { createSelfSignedCert } from '../kernel/self-signed-cert.ts';
import { freePort, PARITY_FIXTURES, REAL_TOOLS, REPO, writeProject } from './project.ts';

const GO = { name: 'parity-go', binary: join(PARITY_FIXTURES, 'sidecars/parity-go/bin/parity-go'), hosting: 'go', config: {} };
// The Rust SDK's attach mode: the parity sidecar in Rust serves /parity/rustsc.
const RUST = { name: 'parity-rustsc', binary: join(PARITY_FIXTURES, 'sidecars/parity-rustsc/bin/parity-rustsc'), hosting: 'rustsc', config: { hosting: 'rustsc' } };
type Twin = typeof GO;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

beforeAll(() => {
  for (const { binary } of [GO, RUST]) if (!existsSync(binary)) throw new Error(`${binary} is not built: run bash scripts/setup.sh`);
});

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Setup {
  root: string;
  /** The sidecar's MICROCORE_TLS_DIR: its key pair, made on its first run. */
  tlsDir: string;
  listen: string;
  toolAddress: string;
  twin: Twin;
}

/** A project with the parity domain (native) and an attached parity twin; the kernel's key pair made by `microcore sidecar cert`, as an operator would. */
async function setUp(manifest: object = {}, twin: Twin = GO): Promise<Setup> {
  const listen = `127.0.0.1:${await freePort()}`;
  const root = writeProject(
    { [`sidecars/${twin.name}/sidecar.json`]: JSON.stringify({ name: twin.name, address: listen, cert: 'sidecar.crt', needs: ['http', 'db', 'logger', 'bus'], config: twin.config, startTimeoutMs: 3000, restart: { backoffMs: 100 }, ...manifest }) },
    REAL_TOOLS,
    { 'domains/parity': join(PARITY_FIXTURES, 'domains/parity') },
  );
  const tlsDir = mkdtempSync(join(tmpdir(), 'mc-sidecar-tls-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }), () => rmSync(tlsDir, { recursive: true, force: true }));
  const cli = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', join(REPO, 'cli/main.ts'), 'sidecar', 'cert'], { cwd: root, encoding: 'utf8' });
  expect(cli.status, cli.stderr).toBe(0);
  expect(cli.stdout).toBe(readFileSync(join(root, KERNEL_CERT_FILE), 'utf8'));
  expect(cli.stderr).toContain(`${KERNEL_CERT_FILE} (sha256 `);
  return { root, tlsDir, listen, toolAddress: `127.0.0.1:${await freePort()}`, twin };
}

/** Starts the sidecar as an operator would; resolves once it says it serves. */
async function startSidecar(s: Setup, kernelCertFile = join(s.root, KERNEL_CERT_FILE)): Promise<ChildProcess> {
  const child = spawn(s.twin.binary, [], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH, MICROCORE_LISTEN: s.listen, MICROCORE_KERNEL_ADDRESS: s.toolAddress, MICROCORE_KERNEL_CERT_FILE: kernelCertFile, MICROCORE_TLS_DIR: s.tlsDir },
  });
  cleanups.push(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the sidecar did not say it serves within 5 s: ${lines.join(' | ')}`)), 5000);
    child.once('exit', (code) => reject(new Error(`the sidecar exited with ${code}: ${lines.join(' | ')}`)));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      lines.push(line);
      if (line.includes('serving for a kernel that attaches by address')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return child;
}

async function boot(s: Setup): Promise<{ kernel: Kernel; url: string; status(): string | undefined; item(): ReportItem }> {
  const kernel = new Kernel({ root: s.root, env: { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_PATH: join(s.root, 'data/test.db'), MC_TOOL_ADDRESS: s.toolAddress } });
  cleanups.push(() => kernel.shutdown());
  await kernel.boot();
  const port = (kernel.getTool('http') as { port: number }).port;
  const item = () => kernel.registry.list().find((i) => i.name === `sidecar/${s.twin.name}`)!;
  return { kernel, url: `http://127.0.0.1:${port}`, status: () => item().status, item };
}

const echoed = async (url: string, hosting = 'go') => fetch(`${url}/parity/ts/request/${hosting}`, { method: 'POST' });

describe.each([['Go', GO], ['Rust', RUST]] as const)('a %s sidecar attached by address', (_, twin) => {
  it('serves a native plugin and its own tool calls, is reported down when killed, and is reconnected when back', async () => {
    const s = await setUp({}, twin);
    const count = `/parity/${twin.hosting}/count`;
    let sidecar = await startSidecar(s);
    copyFileSync(join(s.tlsDir, 'sidecar.crt'), join(s.root, `sidecars/${twin.name}/sidecar.crt`));
    const k = await boot(s);
    expect(k.status(), k.item().reason).toBe('ready');
    // Its own tool calls (db) and its OnBoot-time ones (http.addEndpoint, over TCP).
    expect((await fetch(`${k.url}${count}`)).status).toBe(200);
    // A native plugin's bus request reaches its subscription.
    const first = await echoed(k.url, twin.hosting);
    expect(first.status).toBe(200);

    sidecar.kill('SIGKILL');
    const t0 = Date.now();
    await until('the sidecar to be reported down', () => k.status() === 'dead', 5000);
    expect(Date.now() - t0).toBeLessThan(3000);
    const item = k.item();
    expect(item.code).toBe('MC_ERR_SIDECAR_DOWN');
    expect(item.reason).toContain(`at ${s.listen} went away`);
    const t1 = Date.now();
    const down = await fetch(`${k.url}${count}`);
    expect(Date.now() - t1).toBeLessThan(1000);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { error: { code: string } }).error.code).toBe('MC_ERR_SIDECAR_DOWN');

    sidecar = await startSidecar(s);
    await until('the sidecar to be reconnected', () => k.status() === 'ready', 10_000);
    expect((await fetch(`${k.url}${count}`)).status).toBe(200);
    expect((await echoed(k.url, twin.hosting)).status).toBe(200);
    // Booted again: its subscriptions are there once, not once per connection.
    expect(k.kernel.subscriptions.list().filter((x) => x.owner === `sidecar/${twin.name}`).map((x) => x.topic).sort()).toEqual(['parity.broadcast', `parity.${twin.hosting}.echo`]);

    // The kernel's shutdown leaves it running: it is not the kernel's process.
    await k.kernel.shutdown();
    await new Promise((r) => setTimeout(r, 300));
    expect(sidecar.exitCode).toBeNull();
  });
});

describe('a sidecar attached by address, at boot and refused', () => {

  it('waits for a sidecar starting beside the kernel, within startTimeoutMs', async () => {
    const s = await setUp();
    // A first run of the sidecar makes its key pair; the operator copies the certificate, then stops it.
    const first = await startSidecar(s);
    copyFileSync(join(s.tlsDir, 'sidecar.crt'), join(s.root, 'sidecars/parity-go/sidecar.crt'));
    first.kill('SIGTERM');
    await new Promise((r) => first.once('exit', r));

    const booting = boot(s);
    await new Promise((r) => setTimeout(r, 700));
    await startSidecar(s);
    const k = await booting;
    expect(k.status()).toBe('ready');
    expect((await fetch(`${k.url}/parity/go/count`)).status).toBe(200);
    expect((await echoed(k.url)).status).toBe(200);
  });

  it('fails naming the address when nothing ever answers there', async () => {
    const s = await setUp({ startTimeoutMs: 600 });
    writeFileSync(join(s.root, 'sidecars/parity-go/sidecar.crt'), createSelfSignedCert('never-started').certPem);
    const k = await boot(s);
    const item = k.item();
    expect(item.status).toBe('failed');
    expect(item.code).toBe('MC_ERR_SIDECAR_DOWN');
    expect(item.reason).toContain(`nothing answers at ${s.listen}`);
    expect(item.reason).toContain('ECONNREFUSED');
    expect(item.reason).toContain(`MICROCORE_LISTEN=${s.listen}`);
  });

  it('is refused when the sidecar was given another kernel\'s certificate, and nothing is served', async () => {
    const s = await setUp();
    const other = join(s.tlsDir, 'other-kernel.crt');
    writeFileSync(other, createSelfSignedCert('microcore-kernel').certPem);
    await startSidecar(s, other);
    copyFileSync(join(s.tlsDir, 'sidecar.crt'), join(s.root, 'sidecars/parity-go/sidecar.crt'));
    const k = await boot(s);
    const item = k.item();
    expect(item.status).toBe('failed');
    expect(item.code).toBe('MC_ERR_SIDECAR_HANDSHAKE');
    expect(item.reason).toContain(`at ${s.listen} did not answer its gRPC health check 'plugin' over the pinned TLS`);
    expect(item.reason).toContain('microcore sidecar cert');
    expect((await fetch(`${k.url}/parity/go/count`)).status).toBe(404);
  });

  it('is refused when the kernel pins another certificate than the sidecar\'s, and nothing is served', async () => {
    const s = await setUp();
    await startSidecar(s);
    writeFileSync(join(s.root, 'sidecars/parity-go/sidecar.crt'), createSelfSignedCert('impostor').certPem);
    const k = await boot(s);
    const item = k.item();
    expect(item.status).toBe('failed');
    expect(item.code).toBe('MC_ERR_SIDECAR_HANDSHAKE');
    expect(item.reason).toContain("that 'cert' (sidecar.crt, sha256 ");
    expect((await fetch(`${k.url}/parity/go/count`)).status).toBe(404);
  });
});
