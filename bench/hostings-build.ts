// Builds the bench plugins of bench/hostings (outputs in bench/hostings/*/bin,
// gitignored): the Go source as a sidecar binary and a wasm module, the Rust
// source as a wasm module and a sidecar binary. Each build runs every time: go
// and cargo see that nothing changed in a second or two, and a change in sdk/go
// or sdk/rust (which another engineer may be tuning) is then always measured.
// A build that cannot run (toolchain missing, compile error) becomes a named
// skip with what to install; the first Rust builds take a few minutes.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from '../test/project.ts';

export const PLUGINS = join(REPO, 'bench/hostings');
export const BUILT = {
  goSidecar: join(PLUGINS, 'go/bin/bench-item'),
  goWasm: join(PLUGINS, 'go/bin/bench_item.wasm'),
  rustWasm: join(PLUGINS, 'rust/bin/bench_item.wasm'),
  rustSidecar: join(PLUGINS, 'rust/bin/bench-item-sidecar'),
};
export type Built = keyof typeof BUILT;

const HOW: Record<Built, string> = {
  goSidecar: 'Go ≥ 1.24 on PATH (https://go.dev/dl)',
  goWasm: 'Go ≥ 1.24 on PATH (https://go.dev/dl)',
  rustWasm: "a Rust toolchain for wasm32-unknown-unknown ('rustup target add wasm32-unknown-unknown', or the Debian route of scripts/build-rust-wasm.sh) and protoc",
  rustSidecar: 'cargo (https://rustup.rs), a C compiler and protoc',
};

const COMMANDS: Record<Built, { dir: string; args: string[] }> = {
  goSidecar: { dir: 'go', args: ['go', 'build', '-o', BUILT.goSidecar, '.'] },
  goWasm: { dir: 'go', args: ['bash', join(REPO, 'scripts/build-go-wasm.sh'), '.', BUILT.goWasm] },
  rustWasm: { dir: 'rust', args: ['bash', join(REPO, 'scripts/build-rust-wasm.sh'), '.', BUILT.rustWasm] },
  rustSidecar: { dir: 'rust', args: ['bash', join(REPO, 'scripts/build-rust-sidecar.sh'), '.', 'bench-item-sidecar', BUILT.rustSidecar] },
};

/**
 * Builds each output in turn (never two at once: the machine has 2 cores).
 * Returns, for each that could not be built, why and what to install.
 */
export function buildPlugins(): Partial<Record<Built, string>> {
  const skips: Partial<Record<Built, string>> = {};
  for (const [name, { dir, args }] of Object.entries(COMMANDS) as [Built, (typeof COMMANDS)[Built]][]) {
    try {
      execFileSync(args[0]!, args.slice(1), { cwd: join(PLUGINS, dir), stdio: 'pipe', timeout: 900_000 });
    } catch (e) {
      const err = e as { code?: string; stderr?: Buffer };
      const said = err.code === 'ENOENT' ? `'${args[0]}' is not on PATH` : (err.stderr?.toString().trim().split('\n').slice(-3).join(' | ') ?? String(e));
      skips[name] = `could not build bench/hostings/${dir} (${args.slice(0, 2).join(' ')}…): ${said.replace(/\.$/, '')}. Needs ${HOW[name]}.`;
    }
  }
  return skips;
}
