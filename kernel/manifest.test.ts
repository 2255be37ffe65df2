import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_WASM_INSTANCES, readSidecarManifest, readWasmManifest } from './manifest.ts';

const root = mkdtempSync(join(tmpdir(), 'mc-manifest-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function read(fields: Record<string, unknown>) {
  mkdirSync(join(root, 'sidecars/x'), { recursive: true });
  writeFileSync(join(root, 'sidecars/x/sidecar.json'), JSON.stringify({ name: 'x', command: 'bin/x', ...fields }));
  return readSidecarManifest(root, 'sidecars/x/sidecar.json', 'x');
}

describe('sidecar.json passEnv', () => {
  it('defaults to none', () => {
    expect(read({}).passEnv).toEqual([]);
  });

  it('takes variable names', () => {
    expect(read({ passEnv: ['DATABASE_URL', '_X1'] }).passEnv).toEqual(['DATABASE_URL', '_X1']);
  });

  it.each([[['A=B']], [['1X']], [['MICROCORE_TOKEN']], ['DATABASE_URL'], [[7]]])('refuses %j, naming the field', (passEnv) => {
    expect(() => read({ passEnv })).toThrow(expect.objectContaining({ code: 'MC_ERR_MANIFEST_INVALID', message: expect.stringContaining("'passEnv'") }));
  });
});

function readWasm(fields: Record<string, unknown>) {
  mkdirSync(join(root, 'wasm-plugins/w'), { recursive: true });
  writeFileSync(join(root, 'wasm-plugins/w/plugin.json'), JSON.stringify({ name: 'w', module: 'w.wasm', ...fields }));
  return readWasmManifest(root, 'wasm-plugins/w/plugin.json', 'w');
}

// Issue 9: a worker-mode module runs on a pool of instances.
describe('plugin.json instances', () => {
  it('defaults to the core count, at most MAX_WASM_INSTANCES', () => {
    expect(readWasm({}).instances).toBe(Math.min(availableParallelism(), MAX_WASM_INSTANCES));
    expect(readWasm({ instances: 3 }).instances).toBe(3);
  });

  it.each([0, 65, 1.5, '2'])('refuses %j, naming the field', (instances) => {
    expect(() => readWasm({ instances })).toThrow(expect.objectContaining({ code: 'MC_ERR_MANIFEST_INVALID', message: expect.stringContaining("'instances'") }));
  });

  it('refuses a pool on the main thread, where instances could only take turns', () => {
    expect(() => readWasm({ mode: 'main', instances: 2 })).toThrow(expect.objectContaining({ code: 'MC_ERR_MANIFEST_INVALID', message: expect.stringContaining('"mode": "main" runs one instance') }));
    expect(readWasm({ mode: 'main', instances: 1 }).instances).toBe(1);
  });
});
