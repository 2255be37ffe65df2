// Builds what the kernel runs but does not compile: each sidecar's and wasm
// plugin's manifest may name a `build` command, run in its folder. Nothing is
// skipped silently: a missing toolchain fails with the command's own message.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { discover } from '../kernel/discovery.ts';
import { readSidecarManifest, readWasmManifest } from '../kernel/manifest.ts';

export async function buildPlugins(root: string, print: (line: string) => void): Promise<boolean> {
  let ok = true;
  for (const p of discover(root).plugins) {
    if (p.kind === 'native') continue;
    const folder = p.dir.split('/').pop()!;
    let build: string[];
    try {
      build = p.kind === 'sidecar' ? readSidecarManifest(root, p.file, folder).build : readWasmManifest(root, p.file, folder).build;
    } catch (err) {
      print(`✗ ${p.identity}: ${(err as Error).message}`);
      ok = false;
      continue;
    }
    if (build.length === 0) continue;
    print(`→ ${p.identity}: ${build.join(' ')}`);
    const t0 = Date.now();
    const result = spawnSync(build[0]!, build.slice(1), { cwd: join(root, p.dir), stdio: 'inherit' });
    if (result.status === 0) {
      print(`✓ ${p.identity} built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } else {
      print(`✗ ${p.identity}: \`${build.join(' ')}\` in ${p.dir} failed (${result.error?.message ?? `exit ${result.status}`})`);
      ok = false;
    }
  }
  return ok;
}
