// Issue item 18: paths a manifest names stay inside the project. A `command`,
// a `build` program or a `module` that resolves outside the root is refused with
// MC_ERR_MANIFEST_INVALID naming the file and the field; a bare program name
// still comes from PATH, and an absolute path is taken as meant.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readSidecarManifest, readWasmManifest } from './manifest.ts';
import type { McError } from './errors.ts';

const ESCAPE = '../../../../../../bin/sh';
let root = '';
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = '';
});

function project(files: Record<string, object>): string {
  root = mkdtempSync(join(tmpdir(), 'mc-manifest-'));
  for (const [path, json] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), JSON.stringify(json));
  }
  return root;
}

function refusal(read: () => unknown): McError {
  try {
    read();
  } catch (err) {
    return err as McError;
  }
  throw new Error('the manifest was accepted');
}

describe('manifest paths (issue item 18)', () => {
  const sidecarFile = 'sidecars/x/sidecar.json';
  const wasmFile = 'wasm-plugins/x/plugin.json';

  it('refuses a sidecar command outside the project, naming file and field', () => {
    project({ [sidecarFile]: { name: 'x', command: ESCAPE } });
    const err = refusal(() => readSidecarManifest(root, sidecarFile, 'x'));
    expect(err.code).toBe('MC_ERR_MANIFEST_INVALID');
    expect(err.message).toContain(`${sidecarFile} field 'command' is '${ESCAPE}', which resolves to /bin/sh, outside the project`);
    expect(err.details).toMatchObject({ file: sidecarFile, field: 'command' });
  });

  it('refuses a build program outside the project', () => {
    project({ [wasmFile]: { name: 'x', module: 'x.wasm', build: [ESCAPE, '-c', 'true'] } });
    const err = refusal(() => readWasmManifest(root, wasmFile, 'x'));
    expect(err.code).toBe('MC_ERR_MANIFEST_INVALID');
    expect(err.details).toMatchObject({ file: wasmFile, field: 'build' });
  });

  it('refuses a wasm module outside the project, even as a bare-looking ../ path', () => {
    project({ [wasmFile]: { name: 'x', module: '../../../elsewhere.wasm' } });
    const err = refusal(() => readWasmManifest(root, wasmFile, 'x'));
    expect(err.code).toBe('MC_ERR_MANIFEST_INVALID');
    expect(err.message).toContain("field 'module' is '../../../elsewhere.wasm'");
    expect(err.details).toMatchObject({ file: wasmFile, field: 'module' });
  });

  it('accepts paths inside the project, bare names from PATH, and absolute paths (taken as meant)', () => {
    project({
      [sidecarFile]: { name: 'x', command: 'bin/x', build: ['go', 'build', '-o', 'bin/x', '.'] },
      'sidecars/y/sidecar.json': { name: 'y', command: 'sh', build: ['../../scripts/build.sh'] },
      [wasmFile]: { name: 'x', module: 'x.wasm', build: ['bash', '../../scripts/build-rust-wasm.sh', '.', 'x.wasm'] },
    });
    expect(readSidecarManifest(root, sidecarFile, 'x')).toMatchObject({ command: 'bin/x', build: ['go', 'build', '-o', 'bin/x', '.'] });
    expect(readSidecarManifest(root, 'sidecars/y/sidecar.json', 'y')).toMatchObject({ command: 'sh', build: ['../../scripts/build.sh'] });
    expect(readWasmManifest(root, wasmFile, 'x').module).toBe('x.wasm');
    writeFileSync(join(root, sidecarFile), JSON.stringify({ name: 'x', command: '/usr/local/bin/x' }));
    expect(readSidecarManifest(root, sidecarFile, 'x').command).toBe('/usr/local/bin/x');
  });

  it('microcore build does not run a build program outside the project', () => {
    const marker = join(tmpdir(), `mc-escaped-build-${process.pid}`);
    rmSync(marker, { force: true });
    project({ [sidecarFile]: { name: 'x', command: 'bin/x', build: [ESCAPE, '-c', `touch ${marker}`] } });
    const res = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', join(import.meta.dirname, '../cli/main.ts'), 'build'], { cwd: root, encoding: 'utf8' });
    expect(res.status).toBe(1);
    expect(res.stdout).toContain(`${sidecarFile} field 'build' is '${ESCAPE}'`);
    expect(existsSync(marker)).toBe(false);
  });
});
