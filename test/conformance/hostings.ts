// The hostings the conformance runner sends every case to. Adding one is one
// line in HOSTINGS (its files come from its kind); a hosting that cannot run
// yet stays listed with the reason, printed as a named skip.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO } from '../project.ts';

export interface Hosting {
  name: string;
  identity: string;
  kind: 'native' | 'sidecar' | 'wasm';
  /** The built probe a sidecar or wasm hosting runs (see buildProbes). */
  built?: string;
  /** Set when the hosting cannot run yet: the reason printed in the matrix. */
  skip?: string;
}

const PROBES = join(REPO, 'test/conformance/probes');
const BUILT = {
  go: join(PROBES, 'go/bin/conformance-probe'),
  gowasm: join(PROBES, 'go/bin/conformance_probe.wasm'),
  rust: join(PROBES, 'rust/bin/conformance_probe.wasm'),
  rustsc: join(PROBES, 'rust/bin/conformance-probe-sidecar'),
};

export const HOSTINGS: Hosting[] = [
  { name: 'ts', identity: 'conformance/probe', kind: 'native' },
  { name: 'go', identity: 'sidecar/conformance-go', kind: 'sidecar', built: BUILT.go },
  { name: 'gowasm', identity: 'wasm/conformance-gowasm', kind: 'wasm', built: BUILT.gowasm },
  { name: 'rust', identity: 'wasm/conformance-rust', kind: 'wasm', built: BUILT.rust },
  { name: 'rustsc', identity: 'sidecar/conformance-rustsc', kind: 'sidecar', built: BUILT.rustsc },
];

/** The probe that answers one case wrongly on purpose: its row must show ✗. */
export const WRONG: Hosting = { name: 'wrong', identity: 'conformance/wrong', kind: 'native' };

const NEEDS = ['http', 'db', 'bus', 'logger', 'state', 'config'];

/**
 * Builds the Go probe (sidecar binary, wasm module) and the Rust probe (wasm
 * module, sidecar binary) into their bin/ folders (gitignored). Up to date, each is a second; the
 * Rust probe's first build on the Debian route compiles std (~3 min).
 */
export function buildProbes(): void {
  const run = (dir: string, args: string[]) => {
    try {
      execFileSync(args[0]!, args.slice(1), { cwd: join(PROBES, dir), stdio: 'pipe', timeout: 600_000 });
    } catch (e) {
      const err = e as { code?: string; stderr?: Buffer };
      if (err.code === 'ENOENT') throw new Error(`conformance: '${args[0]}' is not on PATH; the probes need Go ≥ 1.24 (https://go.dev/dl) and bash; run bash scripts/setup.sh`);
      throw new Error(`conformance: building the ${dir} probe failed (${args.join(' ')} in ${join(PROBES, dir)}): ${err.stderr?.toString().slice(-2000) ?? String(e)}`);
    }
  };
  run('go', ['go', 'build', '-o', BUILT.go, '.']);
  run('go', ['bash', join(REPO, 'scripts/build-go-wasm.sh'), '.', BUILT.gowasm]);
  // build-rust-wasm.sh names a missing Rust toolchain or protoc itself.
  run('rust', ['bash', join(REPO, 'scripts/build-rust-wasm.sh'), '.', BUILT.rust]);
  run('rust', ['bash', join(REPO, 'scripts/build-rust-sidecar.sh'), '.', 'conformance-probe-sidecar', BUILT.rustsc]);
}

/** The temp project's files for the hostings that run, and the links to the built probes. */
export function projectFiles(hostings: Hosting[]): { files: Record<string, string>; links: Record<string, string> } {
  const files: Record<string, string> = {
    'tools/logger/tool.ts': `export { RecordingLogger as default } from '${REPO}/test/conformance/recorders.ts';\n`,
    'domains/conformance/plugins/recorder.ts': `export { EventRecorderPlugin as default } from '${REPO}/test/conformance/recorders.ts';\n`,
    'domains/conformance/migrations/001_conf_items.sql': 'CREATE TABLE conf_items (id INTEGER PRIMARY KEY, hosting TEXT NOT NULL, big INTEGER, blob BLOB, text TEXT);\nCREATE TABLE conf_unique (hosting TEXT NOT NULL UNIQUE);\n',
    'domains/conformance/plugins/wrong.ts': `export { WrongProbePlugin as default } from '${PROBES}/ts/probe.ts';\n`,
  };
  const links: Record<string, string> = {};
  for (const h of hostings.filter((x) => !x.skip)) {
    const folder = h.identity.split('/')[1]!;
    if (h.kind === 'native') files[`domains/conformance/plugins/${folder}.ts`] = `export { ConformanceProbePlugin as default } from '${PROBES}/ts/probe.ts';\n`;
    if (h.kind === 'sidecar') {
      files[`sidecars/${folder}/sidecar.json`] = JSON.stringify({ name: folder, description: `Conformance probe (${h.name}).`, command: 'bin/probe', needs: NEEDS, config: { hosting: h.name }, startTimeoutMs: 20_000 });
      links[`sidecars/${folder}/bin/probe`] = h.built!;
    }
    if (h.kind === 'wasm') {
      // The Go module needs WASI (its runtime); the config names the hosting for the Go source, which serves two.
      files[`wasm-plugins/${folder}/plugin.json`] = JSON.stringify({ name: folder, description: `Conformance probe (${h.name}).`, module: 'probe.wasm', needs: NEEDS, limits: { timeoutMs: 10_000 }, config: { hosting: h.name }, wasi: h.name === 'gowasm' });
      links[`wasm-plugins/${folder}/probe.wasm`] = h.built!;
    }
  }
  return { files, links };
}

export function link(root: string, links: Record<string, string>): void {
  for (const [path, target] of Object.entries(links)) {
    if (!existsSync(target)) throw new Error(`conformance: ${target} is not built (buildProbes runs first)`);
    mkdirSync(dirname(join(root, path)), { recursive: true });
    symlinkSync(target, join(root, path));
  }
}
