// Issue 8: the parity plugins are test fixtures, out of a reader's way. The
// example app (the repository root) holds only its features; test/fixtures/parity
// is a MicroCore project of its own whose relative paths (builds, the Go module's
// replace, the Cargo path dependency, kernel imports) reach the repository's SDKs,
// scripts and kernel from where it now lives.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discover } from '../kernel/discovery.ts';
import { readSidecarManifest, readWasmManifest } from '../kernel/manifest.ts';
import { PARITY_FIXTURES, REPO } from './project.ts';

const read = (path: string) => readFileSync(path, 'utf8');

describe('issue 8: the parity plugins are test fixtures', () => {
  it('leaves the example app its features only', () => {
    const identities = discover(REPO).plugins.map((p) => p.identity);
    expect(identities.filter((i) => i.includes('parity'))).toEqual([]);
    expect(identities).toEqual(expect.arrayContaining(['users/create-user', 'orders/create-order', 'sidecar/inventory', 'wasm/catalog-search']));
  });

  it('lays the fixtures out as a project, whose builds name paths that exist', () => {
    const found = discover(PARITY_FIXTURES);
    expect(found.plugins.map((p) => p.identity)).toEqual(['parity/messaging', 'parity/values', 'sidecar/parity-go', 'sidecar/parity-rustsc', 'wasm/parity-gowasm', 'wasm/parity-rust']);
    expect(found.migrations).toEqual([{ owner: 'parity', dir: 'domains/parity/migrations' }]);
    for (const p of found.plugins.filter((x) => x.kind !== 'native')) {
      const folder = p.dir.split('/').pop()!;
      const manifest = p.kind === 'sidecar' ? readSidecarManifest(PARITY_FIXTURES, p.file, folder) : readWasmManifest(PARITY_FIXTURES, p.file, folder);
      const paths = manifest.build.filter((arg) => arg.startsWith('.'));
      expect(paths.length, p.file).toBeGreaterThan(0);
      for (const arg of paths) expect(existsSync(resolve(PARITY_FIXTURES, p.dir, arg)), `${p.file} build names ${arg}`).toBe(true);
    }
  });

  it('reaches the SDKs and the kernel by relative path from the fixture folders', () => {
    const goMod = join(PARITY_FIXTURES, 'sidecars/parity-go/go.mod');
    expect(resolve(dirname(goMod), /^replace microcore\.dev\/sdk\/go => (\S+)$/m.exec(read(goMod))![1]!)).toBe(join(REPO, 'sdk/go'));
    const cargo = join(PARITY_FIXTURES, 'wasm-plugins/parity-rust/Cargo.toml');
    expect(resolve(dirname(cargo), /^microcore = \{ path = "([^"]+)" \}$/m.exec(read(cargo))![1]!)).toBe(join(REPO, 'sdk/rust'));
    const plugins = join(PARITY_FIXTURES, 'domains/parity/plugins');
    for (const file of ['messaging.ts', 'values.ts', 'messaging.test.ts', 'values.test.ts']) {
      for (const [, spec] of read(join(plugins, file)).matchAll(/from '(\.[^']+)'/g)) expect(existsSync(resolve(plugins, spec!)), `${file} imports ${spec}`).toBe(true);
    }
  });

  it('is built by scripts/setup.sh (so by scripts/test.sh and CI), and neither built nor booted by scripts/start.sh', () => {
    const setup = read(join(REPO, 'scripts/setup.sh'));
    expect(setup).toContain('(cd test/fixtures/parity && node --disable-warning=ExperimentalWarning ../../../cli/main.ts build)');
    expect(read(join(REPO, 'scripts/start.sh'))).toMatch(/^bash scripts\/setup\.sh --no-fixtures$/m);
    expect(read(join(REPO, 'scripts/test.sh'))).toMatch(/^bash scripts\/setup\.sh$/m);
  });
});
