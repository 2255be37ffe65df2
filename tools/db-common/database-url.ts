// DATABASE_URL, read by every db driver to tell which one the settings choose
// (and by tools/context, to describe the tables that engine's migrations make).
import { mcError } from '../../kernel/index.ts';

export function isPostgresUrl(url: string | undefined): boolean {
  return !!url && /^postgres(?:ql)?:\/\//i.test(url);
}

/** A connection URL without its password (`hideUser`: its user too, which a NATS token is), for errors and logs. */
export function redactUrl(url: string, hideUser = false): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL a parser takes: keep only what cannot be a credential.
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/).*@/i, '$1***@');
  }
  if (parsed.password) parsed.password = '***';
  if (hideUser && parsed.username) parsed.username = '***';
  return parsed.href.replace(/\/$/, url.endsWith('/') ? '/' : '');
}

/** A pool size setting: a whole number from 1 to 1000, `fallback` when unset. */
export function poolSize(value: string | undefined, setting: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw mcError('MC_ERR_TOOL_SETUP', `${setting}=${JSON.stringify(value)} is not a whole number from 1 to 1000`, { setting }, undefined, `Set ${setting} to the most connections the tool may open (default ${fallback}), or unset it.`);
  }
  return n;
}
