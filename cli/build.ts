// Builds what the kernel runs but does not compile: each sidecar's and wasm
// plugin's manifest may name a `build` command, run in its folder. Nothing is
// skipped silently: a missing toolchain fails with the command's own message.
// A failed build is recorded (kernel/build-record.ts) so that the next boot
// shows the plugin as failed with the compiler's last lines; a good build
// clears the record.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { removeBuildFailure, setBuildFailure } from '../kernel/build-record.ts';
import { discover } from '../kernel/discovery.ts';
import { readSidecarManifest, readWasmManifest } from '../kernel/manifest.ts';

const TAIL_LINES = 20;

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
    const { ended, tail } = await run(build, join(root, p.dir));
    if (ended === undefined) {
      removeBuildFailure(root, p.identity);
      print(`✓ ${p.identity} built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } else {
      setBuildFailure(root, p.identity, { command: build.join(' '), dir: p.dir, ended, tail });
      print(`✗ ${p.identity}: \`${build.join(' ')}\` in ${p.dir} failed (${ended})`);
      ok = false;
    }
  }
  return ok;
}

/**
 * Runs one build with its output passed through as it comes, keeping the last
 * lines. `ended` is undefined on success, else how it ended.
 */
function run(command: string[], cwd: string): Promise<{ ended?: string; tail: string[] }> {
  return new Promise((resolve) => {
    // The last 16 KiB of output is plenty for TAIL_LINES lines, whatever the build prints.
    let text = '';
    const keep = (chunk: Buffer, to: NodeJS.WriteStream) => {
      to.write(chunk);
      text = (text + chunk.toString('utf8')).slice(-16_384);
    };
    const tail = () => text.split('\n').filter((l) => l.trim() !== '').slice(-TAIL_LINES);
    const child = spawn(command[0]!, command.slice(1), { cwd, stdio: ['inherit', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => keep(c, process.stdout));
    child.stderr.on('data', (c: Buffer) => keep(c, process.stderr));
    child.once('error', (err) => resolve({ ended: `it could not start: ${err.message}`, tail: tail() }));
    child.once('close', (code, signal) => resolve({ ended: code === 0 ? undefined : signal ? `killed by ${signal}` : `exit ${code}`, tail: tail() }));
  });
}
