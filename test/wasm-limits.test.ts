// A wasm call that runs past limits.timeoutMs is cut off with MC_ERR_WASM_TIMEOUT;
// Extism's fresh instance has lost the guest's handler table, so the kernel boots
// the module again before its next call, and it serves as before.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bootProject, REPO, type TestProject } from './project.ts';

let project: TestProject | undefined;
afterEach(async () => {
  await project?.stop();
  project = undefined;
});

describe('wasm time limit', () => {
  it('times a runaway call out, then boots the module again and serves', async () => {
    const manifest = JSON.parse(readFileSync(join(REPO, 'wasm-plugins/parity-rust/plugin.json'), 'utf8'));
    delete manifest.build;
    manifest.module = join(REPO, 'wasm-plugins/parity-rust/parity_rust.wasm');
    manifest.limits = { timeoutMs: 300 };
    project = await bootProject(
      {
        'domains/parity/migrations/001.sql': readFileSync(join(REPO, 'domains/parity/migrations/001_parity_items.sql'), 'utf8'),
        'wasm-plugins/parity-rust/plugin.json': JSON.stringify(manifest),
      },
      { env: { HTTP_EXPOSE_ERRORS: 'true' } },
    );
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
    // Booted again: its subscriptions are there once, not twice.
    expect(subscriptions()).toEqual(['parity.broadcast', 'parity.rust.echo']);
  });

  it('runs a trusted module on the main thread (JSPI): exact values, and a bus request to another plugin', async () => {
    const manifest = JSON.parse(readFileSync(join(REPO, 'wasm-plugins/parity-rust/plugin.json'), 'utf8'));
    delete manifest.build;
    manifest.module = join(REPO, 'wasm-plugins/parity-rust/parity_rust.wasm');
    manifest.mode = 'main';
    project = await bootProject({
      'domains/parity/migrations/001.sql': readFileSync(join(REPO, 'domains/parity/migrations/001_parity_items.sql'), 'utf8'),
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
