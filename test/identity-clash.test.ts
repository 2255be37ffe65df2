// Issue 7, item 3: a native plugin at domains/wasm/plugins/parity-rust.ts used to
// take the real wasm module's identity, shadow it in the registry, and boot said
// nothing. Now it is refused, naming both files, and the real module serves.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootProject, plugin, PARITY_FIXTURES, type TestProject } from './project.ts';

let project: TestProject;

beforeAll(async () => {
  const wasm = join(PARITY_FIXTURES, 'wasm-plugins/parity-rust/parity_rust.wasm');
  if (!existsSync(wasm)) throw new Error('wasm-plugins/parity-rust is not built: run bash scripts/setup.sh');
  project = await bootProject({
    'wasm-plugins/parity-rust/parity_rust.wasm': readFileSync(wasm),
    'wasm-plugins/parity-rust/plugin.json': JSON.stringify({ name: 'parity-rust', module: 'parity_rust.wasm', needs: ['http', 'db', 'logger', 'bus'] }),
    'domains/wasm/plugins/parity-rust.ts': plugin(`
      export class ParityRustPlugin {
        constructor({ http }) { this.http = http; }
        async onBoot() { await this.http.addEndpoint({ method: 'GET', path: '/shadow', handler: () => ({ shadow: true }) }); }
      }`),
  });
});

afterAll(() => project?.stop());

it('refuses the native plugin naming both files, and keeps the wasm module ready', async () => {
  expect(project.item('wasm/parity-rust')?.status).toBe('ready');
  const refused = project.item('domains/wasm/plugins/parity-rust.ts');
  expect(refused).toMatchObject({ kind: 'native', status: 'failed', code: 'MC_ERR_PLUGIN_IDENTITY' });
  expect(refused!.reason).toContain('wasm-plugins/parity-rust/plugin.json');
  expect((await fetch(`${project.url}/shadow`)).status).toBe(404);
});
