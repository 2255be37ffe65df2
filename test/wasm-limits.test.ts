// A wasm call that runs past limits.timeoutMs is cut off with MC_ERR_WASM_TIMEOUT;
// Extism's fresh instance has lost the guest's handler table, so the kernel boots
// the module again before its next call, and it serves as before. A module that
// grows its memory past limits.memoryMaxPages traps, and its instance (with the
// memory it grew) is discarded for a fresh one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { bootProject, PARITY_FIXTURES, type TestProject } from './project.ts';

/** parity-rust's manifest, with `change` applied, booted in a project with its migration (and `files`). */
async function bootParityRust(change: (manifest: Record<string, unknown>) => void, files: Record<string, string> = {}): Promise<TestProject> {
  const manifest = JSON.parse(readFileSync(join(PARITY_FIXTURES, 'wasm-plugins/parity-rust/plugin.json'), 'utf8'));
  delete manifest.build;
  manifest.module = join(PARITY_FIXTURES, 'wasm-plugins/parity-rust/parity_rust.wasm');
  change(manifest);
  return bootProject(
    {
      'domains/parity/migrations/001.sql': readFileSync(join(PARITY_FIXTURES, 'domains/parity/migrations/001_parity_items.sql'), 'utf8'),
      'wasm-plugins/parity-rust/plugin.json': JSON.stringify(manifest),
      ...files,
    },
    { env: { HTTP_EXPOSE_ERRORS: 'true' } },
  );
}

/** A full, synchronous GC without starting the test process with --expose-gc. */
function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return process.memoryUsage().rss;
}

let project: TestProject | undefined;
afterEach(async () => {
  await project?.stop();
  project = undefined;
});

describe('wasm limits', () => {
  it('times a runaway call out, then boots the module again and serves', async () => {
    project = await bootParityRust((m) => (m.limits = { timeoutMs: 300 }));
    expect(project.item('wasm/parity-rust')!.status).toBe('ready');
    const subscriptions = () => project!.kernel.subscriptions.list().filter((s) => s.owner === 'wasm/parity-rust').map((s) => s.topic);
    expect(subscriptions()).toEqual(['parity.broadcast', 'parity.rust.echo']);

    const started = Date.now();
    const spin = await fetch(`${project.url}/parity/rust/spin/100000`, { method: 'POST' });
    expect(spin.status).toBe(504);
    expect(((await spin.json()) as { error: { code: string } }).error.code).toBe('MC_ERR_WASM_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(3000);

    const count = await fetch(`${project.url}/parity/rust/count`);
    expect(count.status, await count.clone().text()).toBe(200);
    expect(await count.json()).toEqual({ n: 0 });
    // Booted again: its subscriptions are there once, not twice, and the status counts the reboot.
    expect(subscriptions()).toEqual(['parity.broadcast', 'parity.rust.echo']);
    expect(project.item('wasm/parity-rust')).toMatchObject({ status: 'ready', restarts: 1 });
  });

  // Issue item 6: calls queued behind the timed-out one ran on the fresh, unbooted
  // instance (500 MC_ERR_HANDLER_UNKNOWN, "registered: none").
  it('runs calls queued behind a timed-out call on a booted instance', async () => {
    project = await bootParityRust((m) => (m.limits = { timeoutMs: 300 }));
    const spin = fetch(`${project.url}/parity/rust/spin/100000`, { method: 'POST' });
    // All three arrive while the spin still runs, so they wait in its queue.
    const queued = [50, 150, 250].map((ms) => new Promise<Response>((resolve, reject) => setTimeout(() => fetch(`${project!.url}/parity/rust/count`).then(resolve, reject), ms)));
    const timedOut = await spin;
    expect(timedOut.status).toBe(504);
    expect(((await timedOut.json()) as { error: { code: string } }).error.code).toBe('MC_ERR_WASM_TIMEOUT');
    for (const res of await Promise.all(queued)) {
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await res.json()).toEqual({ n: 0 });
    }
  });

  // Issue item 7: a module allocating in a loop took the kernel from 276 MB to
  // 4.4 GB RSS and kept it after the trap.
  it('caps guest memory at limits.memoryMaxPages (default 4096 pages), and frees it after the trap', async () => {
    project = await bootParityRust(() => {});
    for (let i = 0; i < 20; i++) expect((await fetch(`${project.url}/parity/rust/count`)).status).toBe(200);
    const before = await settledRss();

    const hog = await fetch(`${project.url}/parity/rust/hog/1024`, { method: 'POST' });
    expect(hog.status).toBe(500);
    const { error } = (await hog.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('MC_ERR_WASM_TRAP');
    expect(error.message).toMatch(/wasm\/parity-rust mc_invoke trapped/);
    expect(error.message).toMatch(/capped at 4096 pages \(256 MiB, limits\.memoryMaxPages in wasm-plugins\/parity-rust\/plugin\.json\)/);

    // Freed at the trap, not only once the module is called again.
    const afterTrap = await settledRss();
    expect(afterTrap / before, `RSS ${before >> 20} MiB before the hog, ${afterTrap >> 20} MiB after its trap`).toBeLessThan(1.1);

    const count = await fetch(`${project.url}/parity/rust/count`);
    expect(count.status, await count.clone().text()).toBe(200);
    expect(await count.json()).toEqual({ n: 0 });
    const after = await settledRss();
    expect(after / before, `RSS ${before >> 20} MiB before the hog, ${after >> 20} MiB after the next call`).toBeLessThan(1.1);
  });

  it('caps guest memory on the main thread too, and serves from a fresh instance after the trap', async () => {
    project = await bootParityRust((m) => ((m.mode = 'main'), (m.limits = { memoryMaxPages: 1024 })));
    const hog = await fetch(`${project.url}/parity/rust/hog/1024`, { method: 'POST' });
    expect(hog.status).toBe(500);
    const { error } = (await hog.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('MC_ERR_WASM_TRAP');
    expect(error.message).toMatch(/capped at 1024 pages \(64 MiB, limits\.memoryMaxPages in/);
    const count = await fetch(`${project.url}/parity/rust/count`);
    expect(count.status, await count.clone().text()).toBe(200);
  });

  it('caps Extism\'s own buffers at limits.memoryMaxPages too', async () => {
    project = await bootParityRust((m) => (m.limits = { memoryMaxPages: 1024 }));
    const hog = await fetch(`${project.url}/parity/rust/hog-extism/1024`, { method: 'POST' });
    const { error } = (await hog.json()) as { error: { code: string; message: string } };
    expect(error.code, error.message).toBe('MC_ERR_WASM_TRAP');
    expect(error.message).toMatch(/capped at 1024 pages \(64 MiB, limits\.memoryMaxPages in/);
    const count = await fetch(`${project.url}/parity/rust/count`);
    expect(count.status, await count.clone().text()).toBe(200);
  });

  it('fails a call whose tool result is bigger than the cap with the cap named, and serves the next', async () => {
    project = await bootParityRust((m) => (m.limits = { memoryMaxPages: 32 }), {
      // A 3 MB reply, over the 2 MiB (32 pages) cap.
      'domains/echo/plugins/echo.ts': `export class EchoPlugin { constructor({ bus }) { this.bus = bus; } async onBoot() { await this.bus.subscribe({ topic: 'parity.ts.echo', handler: () => 'x'.repeat(3_000_000) }); } }`,
    });
    const big = await fetch(`${project.url}/parity/rust/request/ts`, { method: 'POST' });
    const { error } = (await big.json()) as { error: { code: string; message: string } };
    // Extism's buffers hold the reply and the guest copies it: whichever cap it
    // meets first, the call traps, naming the cap.
    expect(error.code, error.message).toBe('MC_ERR_WASM_TRAP');
    expect(error.message).toMatch(/capped at 32 pages \(2 MiB, limits\.memoryMaxPages in/);
    const count = await fetch(`${project.url}/parity/rust/count`);
    expect(count.status, await count.clone().text()).toBe(200);
  });

  it('refuses a memory cap the module cannot start under, or one that is not a page count', async () => {
    project = await bootParityRust((m) => (m.limits = { memoryMaxPages: 1 }));
    const below = project.item('wasm/parity-rust')!;
    expect([below.status, below.code]).toEqual(['failed', 'MC_ERR_WASM_LOAD']);
    expect(below.reason).toMatch(/wasm\/parity-rust module .*parity_rust\.wasm could not be instantiated: it starts its memory 0 at \d+ pages .* above its cap of 1 pages \(0\.0625 MiB\)\. Raise limits\.memoryMaxPages in plugin\.json to at least \d+\./);
    await project.stop();

    project = await bootParityRust((m) => (m.limits = { memoryMaxPages: 0 }));
    const zero = project.item('wasm/parity-rust')!;
    expect([zero.status, zero.code]).toEqual(['failed', 'MC_ERR_MANIFEST_INVALID']);
    expect(zero.reason).toMatch(/limits field 'memoryMaxPages' must be a whole number from 1 to 65536, got 0/);
  });

  it('runs a trusted module on the main thread (JSPI): exact values, and a bus request to another plugin', async () => {
    const manifest = JSON.parse(readFileSync(join(PARITY_FIXTURES, 'wasm-plugins/parity-rust/plugin.json'), 'utf8'));
    delete manifest.build;
    manifest.module = join(PARITY_FIXTURES, 'wasm-plugins/parity-rust/parity_rust.wasm');
    manifest.mode = 'main';
    project = await bootProject({
      'domains/parity/migrations/001.sql': readFileSync(join(PARITY_FIXTURES, 'domains/parity/migrations/001_parity_items.sql'), 'utf8'),
      'domains/echo/plugins/echo.ts': `export class EchoPlugin { constructor({ bus }) { this.bus = bus; } async onBoot() { await this.bus.subscribe({ topic: 'parity.ts.echo', handler: (e) => e.payload }); } }`,
      'wasm-plugins/parity-rust/plugin.json': JSON.stringify(manifest),
    });
    expect(project.item('wasm/parity-rust')!.status).toBe('ready');
    const values = await fetch(`${project.url}/parity/rust/values`, { method: 'POST' });
    expect(values.status).toBe(200);
    expect(await values.text()).toContain('"big":9007199254740993');
    const echoed = await fetch(`${project.url}/parity/rust/request/ts`, { method: 'POST' });
    expect(echoed.status).toBe(200);
    expect(JSON.parse(await echoed.text())).toMatchObject({ blob: 'AP8QgA==', from: 'rust' });
    const self = await fetch(`${project.url}/parity/rust/request/rust`, { method: 'POST' });
    expect(((await self.json()) as { error: { code: string } }).error.code).toBe('MC_ERR_WASM_REENTRANT');
  });
});
