// The folders are the architecture; these checks keep them so.
//   kernel/   imports only node: built-ins, the plugin-host libraries and the
//             generated contract
//   tools/    import the kernel's public surface (kernel/index.ts), never domains
//   domains/  import the kernel's public surface and their own files: never
//             tools/, never another domain
// Plus: every plugin file has a sibling test, kernel files stay small, and the
// README's kernel size is the true one.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './project.ts';

const KERNEL_PACKAGES = ['@bufbuild/protobuf', '@grpc/grpc-js', '@extism/extism', 'acorn'];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(REPO, dir))) {
    const path = join(dir, entry);
    if (statSync(join(REPO, path)).isDirectory()) out.push(...sources(path));
    else if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(REPO, file), 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => (m[1] ?? m[2])!);
}

/** Where a relative import lands, relative to the repository root. */
function target(file: string, spec: string): string {
  return relative(REPO, resolve(REPO, dirname(file), spec));
}

const isTest = (f: string) => f.endsWith('.test.ts');

describe('import boundaries', () => {
  it('kernel/ imports only node built-ins, the plugin-host libraries and the generated contract', () => {
    const bad: string[] = [];
    for (const file of sources('kernel').filter((f) => !isTest(f))) {
      for (const spec of importsOf(file)) {
        if (spec.startsWith('node:') || KERNEL_PACKAGES.some((p) => spec === p || spec.startsWith(`${p}/`))) continue;
        if (spec.startsWith('.')) {
          const to = target(file, spec);
          if (to.startsWith('kernel/') || to.startsWith('proto/gen/')) continue;
        }
        bad.push(`${file} imports ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('tools/ reach the kernel only through kernel/index.ts, and never import domains', () => {
    const bad: string[] = [];
    for (const file of sources('tools').filter((f) => !isTest(f))) {
      for (const spec of importsOf(file).filter((s) => s.startsWith('.'))) {
        const to = target(file, spec);
        if (to.startsWith('domains/') || (to.startsWith('kernel/') && to !== 'kernel/index.ts')) bad.push(`${file} imports ${to}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('domains/ import neither tools/ nor another domain, and the kernel only through kernel/index.ts', () => {
    const bad: string[] = [];
    for (const file of sources('domains').filter((f) => !isTest(f))) {
      const domain = file.split('/')[1];
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const to = target(file, spec);
        const ok = to === 'kernel/index.ts' || to.startsWith(`domains/${domain}/`) || to.startsWith('proto/gen/');
        if (!ok) bad.push(`${file} imports ${to}`);
      }
    }
    expect(bad).toEqual([]);
  });
});

describe('shape', () => {
  it('gives every native plugin a sibling test', () => {
    const plugins = sources('domains').filter((f) => f.includes('/plugins/') && !isTest(f));
    const missing = plugins.filter((f) => !sources('domains').includes(f.replace(/\.ts$/, '.test.ts')));
    expect(plugins.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });

  it('keeps kernel files under 300 lines, and the README states the kernel size truly', () => {
    const files = sources('kernel').filter((f) => !isTest(f));
    const lines = files.map((f) => ({ f, n: readFileSync(join(REPO, f), 'utf8').split('\n').length - 1 }));
    expect(lines.filter((l) => l.n > 300)).toEqual([]);
    const total = lines.reduce((sum, l) => sum + l.n, 0);
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const stated = /kernel\/ is (\d+) lines of TypeScript in (\d+) files/.exec(readme);
    expect(stated, 'README.md must say "kernel/ is N lines of TypeScript in M files"').not.toBeNull();
    expect({ lines: Number(stated![1]), files: Number(stated![2]) }).toEqual({ lines: total, files: files.length });
  });
});

describe('.env.example', () => {
  it('lists every setting the code reads', () => {
    const example = readFileSync(join(REPO, '.env.example'), 'utf8');
    const listed = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    const read = new Set<string>();
    for (const dir of ['kernel', 'tools', 'cli', 'domains']) {
      for (const file of sources(dir).filter((f) => !isTest(f))) {
        const text = readFileSync(join(REPO, file), 'utf8');
        for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)) read.add(m[1]!);
        for (const m of text.matchAll(/key: '([A-Z][A-Z0-9_]+)'/g)) read.add(m[1]!);
      }
    }
    expect(read.size).toBeGreaterThan(10);
    expect([...read].filter((k) => !listed.has(k)).sort()).toEqual([]);
  });
});
