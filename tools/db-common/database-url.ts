// DATABASE_URL, read by every db driver to tell which one the settings choose
// (and by tools/context, to describe the tables that engine's migrations make).

export function isPostgresUrl(url: string | undefined): boolean {
  return !!url && /^postgres(?:ql)?:\/\//i.test(url);
}

/** A connection URL without its password, for errors and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}
