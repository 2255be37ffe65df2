import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
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
