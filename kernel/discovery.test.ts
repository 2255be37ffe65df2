import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeProject } from '../test/project.ts';
import { discover } from './discovery.ts';

describe('discover', () => {
  let root = '';
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds tools, native plugins, manifests and migrations; skips tests and declarations', () => {
    root = writeProject(
      {
        'domains/users/plugins/create-user.ts': '',
        'domains/users/plugins/create-user.test.ts': '',
        'domains/users/plugins/types.d.ts': '',
        'domains/users/plugins/notes.md': '',
        'domains/users/migrations/001.sql': '',
        'domains/empty/README.md': '',
        'sidecars/a-go/sidecar.json': '{}',
        'sidecars/no-manifest/main.go': '',
        'wasm-plugins/b-rust/plugin.json': '{}',
        'wasm-plugins/b-rust/migrations/001.sql': '',
      },
      ['db-sqlite', 'http'],
    );
    const found = discover(root);
    expect(found.tools).toEqual([
      { folder: 'db-sqlite', file: 'tools/db-sqlite/tool.ts' },
      { folder: 'http', file: 'tools/http/tool.ts' },
    ]);
    expect(found.plugins.map((p) => [p.kind, p.identity, p.file])).toEqual([
      ['native', 'users/create-user', 'domains/users/plugins/create-user.ts'],
      ['sidecar', 'sidecar/a-go', 'sidecars/a-go/sidecar.json'],
      ['wasm', 'wasm/b-rust', 'wasm-plugins/b-rust/plugin.json'],
    ]);
    expect(found.migrations).toEqual([
      { owner: 'users', dir: 'domains/users/migrations' },
      { owner: 'wasm/b-rust', dir: 'wasm-plugins/b-rust/migrations' },
    ]);
  });
});

// Issue 8: the parity fixtures (test/fixtures/parity) reach test projects as
// symlinked plugin folders; Dirent.isDirectory() is false for a link, so they
// used to be skipped without a word.
describe('symlinked plugin folders', () => {
  let root = '';
  let elsewhere = '';
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  });

  it('finds a linked domain, sidecar, wasm module and plugin file as if they were copied in; skips a dangling link', () => {
    elsewhere = mkdtempSync(join(tmpdir(), 'mc-linked-'));
    for (const [path, content] of Object.entries({ 'shop/plugins/list.ts': '', 'shop/migrations/001.sql': '', 'side/sidecar.json': '{}', 'mod/plugin.json': '{}', 'one.ts': '' })) {
      mkdirSync(join(elsewhere, path, '..'), { recursive: true });
      writeFileSync(join(elsewhere, path), content);
    }
    root = writeProject({ 'domains/local/plugins/a.ts': '' }, []);
    mkdirSync(join(root, 'sidecars'));
    mkdirSync(join(root, 'wasm-plugins'));
    symlinkSync(join(elsewhere, 'shop'), join(root, 'domains/shop'));
    symlinkSync(join(elsewhere, 'one.ts'), join(root, 'domains/local/plugins/one.ts'));
    symlinkSync(join(elsewhere, 'side'), join(root, 'sidecars/side'));
    symlinkSync(join(elsewhere, 'mod'), join(root, 'wasm-plugins/mod'));
    symlinkSync(join(elsewhere, 'gone'), join(root, 'sidecars/gone'));
    const found = discover(root);
    expect(found.plugins.map((p) => [p.identity, p.file])).toEqual([
      ['local/a', 'domains/local/plugins/a.ts'],
      ['local/one', 'domains/local/plugins/one.ts'],
      ['shop/list', 'domains/shop/plugins/list.ts'],
      ['sidecar/side', 'sidecars/side/sidecar.json'],
      ['wasm/mod', 'wasm-plugins/mod/plugin.json'],
    ]);
    expect(found.migrations).toEqual([{ owner: 'shop', dir: 'domains/shop/migrations' }]);
  });
});

// Issue 7, item 3: identities cannot collide silently.
describe('identity clashes', () => {
  let root = '';
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('refuses native plugins in a reserved domain, naming the file and the plugin they would shadow', () => {
    root = writeProject({ 'domains/sidecar/plugins/a-go.ts': '', 'domains/tool/plugins/bus.ts': '', 'domains/wasm/plugins/x.ts': '', 'sidecars/a-go/sidecar.json': '{}', 'domains/ok/plugins/y.ts': '' }, []);
    const found = discover(root);
    const byFile = Object.fromEntries(found.plugins.map((p) => [p.file, p]));
    expect([byFile['sidecars/a-go/sidecar.json']!.identity, byFile['sidecars/a-go/sidecar.json']!.refused]).toEqual(['sidecar/a-go', undefined]);
    expect([byFile['domains/ok/plugins/y.ts']!.identity, byFile['domains/ok/plugins/y.ts']!.refused]).toEqual(['ok/y', undefined]);
    expect(byFile['domains/sidecar/plugins/a-go.ts']!.identity).toBe('domains/sidecar/plugins/a-go.ts');
    expect(byFile['domains/sidecar/plugins/a-go.ts']!.refused?.message).toMatch(/MC_ERR_PLUGIN_IDENTITY: domains\/sidecar\/plugins\/a-go.ts is in domains\/sidecar, a domain name the kernel reserves .*its identity sidecar\/a-go is sidecars\/a-go\/sidecar.json's/);
    expect(byFile['domains/tool/plugins/bus.ts']!.refused?.code).toBe('MC_ERR_PLUGIN_IDENTITY');
    expect(byFile['domains/wasm/plugins/x.ts']!.refused?.code).toBe('MC_ERR_PLUGIN_IDENTITY');
    expect(new Set(found.plugins.map((p) => p.identity)).size).toBe(found.plugins.length);
  });
});
