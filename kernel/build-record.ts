// A sidecar's or wasm module's failed build, remembered between processes:
// `microcore build` (and `microcore dev`, through it) writes one when a build
// fails and removes it when the build succeeds; every boot reads them, so the
// boot report, /system/status and AI_CONTEXT.md say that what runs is not what
// the source says. The previous binary keeps serving when there is one: in
// `dev` a typo should not take a feature down, but it must not look all ready.
// The files live under data/ (git-ignored, like the database).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mcError } from './errors.ts';
import type { Registry } from './registry.ts';

export const BUILD_FAILURES_DIR = 'data/build-failures';

export interface BuildFailure {
  /** The build command, as the manifest names it. */
  command: string;
  /** The folder it ran in, relative to the project root. */
  dir: string;
  /** How it ended: `exit 1`, a signal, or why it could not start. */
  ended: string;
  /** The last lines it printed (stdout and stderr, interleaved). */
  tail: string[];
}

const fileOf = (root: string, identity: string) => join(root, BUILD_FAILURES_DIR, `${identity.replace(/\//g, '-')}.json`);

export function setBuildFailure(root: string, identity: string, failure: BuildFailure): void {
  mkdirSync(join(root, BUILD_FAILURES_DIR), { recursive: true });
  writeFileSync(fileOf(root, identity), JSON.stringify(failure, null, 2) + '\n');
}

export function removeBuildFailure(root: string, identity: string): void {
  rmSync(fileOf(root, identity), { force: true });
}

export function getBuildFailure(root: string, identity: string): BuildFailure | undefined {
  let text: string;
  try {
    text = readFileSync(fileOf(root, identity), 'utf8');
  } catch {
    return undefined; // No record: the last build succeeded, or none ran.
  }
  try {
    const f = JSON.parse(text) as BuildFailure;
    return { command: String(f.command), dir: String(f.dir), ended: String(f.ended), tail: Array.isArray(f.tail) ? f.tail.map(String) : [] };
  } catch {
    return { command: '?', dir: '?', ended: `an unreadable record in ${BUILD_FAILURES_DIR}`, tail: [] };
  }
}

/**
 * Marks each sidecar and wasm plugin whose last build failed as failed, with the
 * build's last lines, and says whether its previous build is still serving.
 */
export function markFailedBuilds(root: string, registry: Registry, plugins: { kind: string; identity: string }[], running: (identity: string) => boolean): void {
  for (const p of plugins) {
    if (p.kind !== 'sidecar' && p.kind !== 'wasm') continue;
    const failure = getBuildFailure(root, p.identity);
    if (!failure) continue;
    const before = registry.get(p.kind, p.identity);
    const serving = running(p.identity)
      ? 'the previous build keeps serving until a build succeeds'
      : `no previous build is running${before?.reason ? ` (${before.reason})` : ''}`;
    const error = mcError('MC_ERR_PLUGIN_BUILD', `${p.identity}: its last build failed (\`${failure.command}\` in ${failure.dir}, ${failure.ended}); ${serving}`, { plugin: p.identity });
    const reason = error.message + (failure.tail.length ? `\nlast lines:\n${failure.tail.map((l) => `  ${l}`).join('\n')}` : '');
    registry.set(p.kind, p.identity, { status: 'failed', code: error.code, reason });
  }
}
