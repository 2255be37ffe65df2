// cli/watch-tree.ts, which `microcore dev` watches with (issue item 14): a file
// saved by replacement stays watched, and directories made later are watched.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchTree } from '../cli/watch-tree.ts';

let root = '';
let stop = () => {};
afterEach(() => {
  stop();
  if (root) rmSync(root, { recursive: true, force: true });
  root = '';
});

const settle = () => new Promise((r) => setTimeout(r, 150));

describe('watchTree', () => {
  it('reports every save of a file replaced by rename, and files in directories made later', async () => {
    root = mkdtempSync(join(tmpdir(), 'mc-watch-'));
    mkdirSync(join(root, 'domains/a/plugins'), { recursive: true });
    writeFileSync(join(root, 'domains/a/plugins/x.ts'), '0');
    const seen: string[] = [];
    stop = watchTree(root, ['domains', 'missing'], /\.tmp$/, (path) => seen.push(path));
    for (let i = 1; i <= 3; i++) {
      writeFileSync(join(root, 'domains/a/plugins/x.ts.tmp'), String(i));
      renameSync(join(root, 'domains/a/plugins/x.ts.tmp'), join(root, 'domains/a/plugins/x.ts'));
      await settle();
      expect(seen.filter((p) => p === 'domains/a/plugins/x.ts').length, `save ${i}: ${seen.join(', ')}`).toBeGreaterThanOrEqual(i);
    }
    expect(seen.some((p) => p.endsWith('.tmp'))).toBe(false);

    mkdirSync(join(root, 'domains/b/plugins'), { recursive: true });
    await settle();
    writeFileSync(join(root, 'domains/b/plugins/y.ts'), '1');
    await settle();
    expect(seen).toContain('domains/b/plugins/y.ts');

    // A directory removed and made again is watched again.
    rmSync(join(root, 'domains/b'), { recursive: true });
    await settle();
    mkdirSync(join(root, 'domains/b'));
    await settle();
    seen.length = 0;
    writeFileSync(join(root, 'domains/b/z.ts'), '2');
    await settle();
    expect(seen).toContain('domains/b/z.ts');
  });
});
