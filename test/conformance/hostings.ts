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
  /** Set when the hosting cannot run yet: the reason printed in the matrix. */
  skip?: string;
}

export const HOSTINGS: Hosting[] = [
  { name: 'ts', identity: 'conformance/probe', kind: 'native' },
  { name: 'go', identity: 'sidecar/conformance-go', kind: 'sidecar' },
  { name: 'gowasm', identity: 'wasm/conformance-gowasm', kind: 'wasm' },
  { name: 'rust', identity: 'wasm/conformance-rust', kind: 'wasm', skip: 'no Rust wasm probe yet (test/conformance/probes/rust)' },
  { name: 'rust-sidecar', identity: 'sidecar/conformance-rust', kind: 'sidecar', skip: 'no Rust sidecar transport yet' },
];

/** The probe that answers one case wrongly on purpose: its row must show ✗. */
export const WRONG: Hosting = { name: 'wrong', identity: 'conformance/wrong', kind: 'native' };

const PROBES = join(REPO, 'test/conformance/probes');
const GO_PROBE = join(PROBES, 'go');
const BUILT = { sidecar: join(GO_PROBE, 'bin/conformance-probe'), wasm: join(GO_PROBE, 'bin/conformance_probe.wasm') };
const NEEDS = ['http', 'db', 'bus', 'logger', 'state', 'config'];

/** Builds the Go probe (sidecar binary and wasm module); outputs are gitignored. */
export function buildProbes(): void {
  const run = (args: string[], env: Record<string, string> = {}) => {
    try {
      execFileSync(args[0]!, args.slice(1), { cwd: GO_PROBE, env: { ...process.env, ...env }, stdio: 'pipe', timeout: 240_000 });
    } catch (e) {
      const err = e as { code?: string; stderr?: Buffer };
      if (err.code === 'ENOENT') throw new Error(`conformance: '${args[0]}' is not on PATH; the Go probe needs Go ≥ 1.24 (https://go.dev/dl), or run bash scripts/setup.sh`);
      throw new Error(`conformance: building the Go probe failed (${args.join(' ')} in ${GO_PROBE}): ${err.stderr?.toString() ?? String(e)}`);
    }
  };
  run(['go', 'build', '-o', BUILT.sidecar, '.']);
  run(['bash', join(REPO, 'scripts/build-go-wasm.sh'), '.', BUILT.wasm]);
}

/** The temp project's files for the hostings that run, and the links to the built probes. */
export function projectFiles(hostings: Hosting[]): { files: Record<string, string>; links: Record<string, string> } {
  const files: Record<string, string> = {
    'tools/logger/tool.ts': `export { RecordingLogger as default } from '${REPO}/test/conformance/recorders.ts';\n`,
    'domains/conformance/plugins/recorder.ts': `export { EventRecorderPlugin as default } from '${REPO}/test/conformance/recorders.ts';\n`,
    'domains/conformance/migrations/001_conf_items.sql': 'CREATE TABLE conf_items (id INTEGER PRIMARY KEY, hosting TEXT NOT NULL, big INTEGER, blob BLOB, text TEXT);\n',
    'domains/conformance/plugins/wrong.ts': `export { WrongProbePlugin as default } from '${PROBES}/ts/probe.ts';\n`,
  };
  const links: Record<string, string> = {};
  for (const h of hostings.filter((x) => !x.skip)) {
    const folder = h.identity.split('/')[1]!;
    if (h.kind === 'native') files[`domains/conformance/plugins/${folder}.ts`] = `export { ConformanceProbePlugin as default } from '${PROBES}/ts/probe.ts';\n`;
    if (h.kind === 'sidecar') {
      files[`sidecars/${folder}/sidecar.json`] = JSON.stringify({ name: folder, description: 'Conformance probe (Go SDK).', command: 'bin/probe', needs: NEEDS, startTimeoutMs: 20_000 });
      links[`sidecars/${folder}/bin/probe`] = BUILT.sidecar;
    }
    if (h.kind === 'wasm') {
      files[`wasm-plugins/${folder}/plugin.json`] = JSON.stringify({ name: folder, description: 'Conformance probe (Go SDK, wasip1).', module: 'probe.wasm', needs: NEEDS, limits: { timeoutMs: 10_000 }, config: { hosting: h.name }, wasi: true });
      links[`wasm-plugins/${folder}/probe.wasm`] = BUILT.wasm;
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
