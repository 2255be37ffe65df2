// A sidecar's process environment. Not the kernel's: that holds every secret the
// kernel was given (database URLs, API keys), and a plugin gets only what its
// manifest asks for. What a program needs merely to run comes from the kernel's
// process; the rest is named in sidecar.json (docs/manifests.md, `env` and
// `passEnv`); the handshake variables come last so nothing can replace them.
import type { SidecarManifest } from './manifest.ts';

/** Taken from the kernel's process environment when set there. */
export const INHERITED_VARS = ['PATH', 'HOME', 'LANG', 'TZ'] as const;

export interface SidecarEnv {
  env: Record<string, string>;
  /** passEnv names the kernel's settings do not set (left out; worth a warning). */
  unset: string[];
}

export function sidecarEnv(
  manifest: Pick<SidecarManifest, 'env' | 'passEnv'>,
  settings: Readonly<Record<string, string | undefined>>,
  processEnv: Readonly<Record<string, string | undefined>>,
  handshake: Record<string, string>,
): SidecarEnv {
  const env: Record<string, string> = {};
  for (const name of INHERITED_VARS) if (processEnv[name] !== undefined) env[name] = processEnv[name];
  const unset: string[] = [];
  for (const name of manifest.passEnv) {
    const value = settings[name];
    if (value === undefined) unset.push(name);
    else env[name] = value;
  }
  return { env: { ...env, ...manifest.env, ...handshake }, unset };
}
