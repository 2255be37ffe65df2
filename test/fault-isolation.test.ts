// A sidecar that will not start, a wasm module that will not load, a manifest
// with a typo: each fails alone, with a reason a reader can act on; the rest boots.
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTRACT_NAMES } from '../kernel/index.ts';
import { bootProject, plugin, type TestProject } from './project.ts';

let project: TestProject | undefined;
afterEach(async () => {
  await project?.stop();
  project = undefined;
});

const sidecar = (manifest: object) => JSON.stringify({ name: 'broken', needs: ['logger'], startTimeoutMs: 3000, ...manifest });
const healthy = { 'domains/a/plugins/fine.ts': plugin(`export class FinePlugin { constructor({ logger }) {} }`) };

describe('fault isolation', () => {
  it('reports a sidecar whose command does not exist, and boots the rest', async () => {
    project = await bootProject({ ...healthy, 'sidecars/broken/sidecar.json': sidecar({ command: 'bin/broken' }) });
    const item = project.item('sidecar/broken')!;
    expect(item).toMatchObject({ status: 'failed', code: 'MC_ERR_SIDECAR_HANDSHAKE' });
    expect(item.reason).toContain('sidecar/broken (sidecars/broken/sidecar.json) could not be started');
    expect(item.reason).toMatch(/bin\/broken does not exist \(not built\? run npm run build\)/);
    expect(project.item('a/fine')!.status).toBe('ready');
  });

  it('reports a sidecar that prints something other than the handshake: the line, the exit code, its stderr', async () => {
    project = await bootProject({ ...healthy, 'sidecars/broken/sidecar.json': sidecar({ command: 'sh', args: ['-c', 'echo "listening on 8080"; echo "config missing" >&2; exit 3'] }) });
    const item = project.item('sidecar/broken')!;
    expect(item).toMatchObject({ status: 'failed', code: 'MC_ERR_SIDECAR_HANDSHAKE' });
    expect(item.reason).toContain('printed a first line that is not the handshake');
    expect(item.reason).toContain('printed: "listening on 8080"');
    expect(project.item('a/fine')!.status).toBe('ready');
  });

  it('reports a sidecar that never prints within startTimeoutMs', async () => {
    project = await bootProject({ ...healthy, 'sidecars/broken/sidecar.json': sidecar({ command: 'sleep', args: ['30'], startTimeoutMs: 300 }) });
    expect(project.item('sidecar/broken')!.reason).toContain('did not print its handshake line within 300 ms (startTimeoutMs)');
  });

  it('refuses a manifest with an unknown field, naming file and field', async () => {
    project = await bootProject({ ...healthy, 'sidecars/broken/sidecar.json': sidecar({ command: 'x', neds: ['db'] }) });
    expect(project.item('sidecar/broken')).toMatchObject({ status: 'failed', code: 'MC_ERR_MANIFEST_INVALID' });
    expect(project.item('sidecar/broken')!.reason).toContain("sidecars/broken/sidecar.json has unknown field 'neds'");
  });

  it('refuses a sidecar needing a tool that is not loaded, naming the manifest', async () => {
    project = await bootProject({ ...healthy, 'sidecars/broken/sidecar.json': sidecar({ command: 'x', needs: ['mailer'] }) });
    expect(project.item('sidecar/broken')!.reason).toBe(
      // The loaded tools: the built-in ones and any catalog tool added (microcore add).
      `MC_ERR_PLUGIN_MISSING_TOOL: sidecars/broken/sidecar.json needs tool 'mailer', which is not loaded (loaded: ${[...CONTRACT_NAMES].sort().join(', ')}). Add tools/mailer, or remove 'mailer' from "needs".`,
    );
  });

  it('reports a wasm module that is missing, whose sha256 differs, or that is not wasm', async () => {
    project = await bootProject({
      ...healthy,
      'wasm-plugins/gone/plugin.json': JSON.stringify({ name: 'gone', module: 'gone.wasm', needs: ['logger'] }),
      'wasm-plugins/tampered/plugin.json': JSON.stringify({ name: 'tampered', module: 'm.wasm', sha256: createHash('sha256').update('other').digest('hex'), needs: ['logger'] }),
      'wasm-plugins/tampered/m.wasm': 'not wasm',
      'wasm-plugins/garbage/plugin.json': JSON.stringify({ name: 'garbage', module: 'm.wasm', sha256: createHash('sha256').update('not wasm').digest('hex'), needs: ['logger'] }),
      'wasm-plugins/garbage/m.wasm': 'not wasm',
    });
    expect(project.item('wasm/gone')).toMatchObject({ status: 'failed', code: 'MC_ERR_WASM_LOAD' });
    expect(project.item('wasm/gone')!.reason).toContain('module gone.wasm cannot be read');
    expect(project.item('wasm/tampered')).toMatchObject({ status: 'failed', code: 'MC_ERR_WASM_LOAD' });
    expect(project.item('wasm/tampered')!.reason).toMatch(/module m\.wasm has sha256 [0-9a-f]{64}, but wasm-plugins\/tampered\/plugin\.json says/);
    expect(project.item('wasm/garbage')).toMatchObject({ status: 'failed', code: 'MC_ERR_WASM_LOAD' });
    expect(project.item('wasm/garbage')!.reason).toContain('module m.wasm could not be instantiated');
    expect(project.item('a/fine')!.status).toBe('ready');
  });
});
