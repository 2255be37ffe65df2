// What some tools' cases need besides the kernel: a local HTTP server for
// fetch, say. Each file in fixtures/ (a catalog tool adds its own: nothing to
// register) default-exports a function that starts what its cases need and
// says how the run uses it: placeholders filled into every case ("{fetch.server}"
// -> "127.0.0.1:41234"), per-tool settings every probe gets (its manifest's
// "tools", the native probe's static tools), and settings for the kernel.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Fixture {
  placeholders?: Record<string, string>;
  /** Tool name -> that tool's settings for every probe (kernel/tool-settings.ts). */
  settings?: Record<string, Record<string, unknown>>;
  env?: Record<string, string>;
  stop?(): Promise<void>;
}

export const FIXTURES_DIR = join(import.meta.dirname, 'fixtures');

/** Every fixture started, merged into one. */
export async function startFixtures(): Promise<Required<Fixture>> {
  const files = existsSync(FIXTURES_DIR) ? readdirSync(FIXTURES_DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort() : [];
  const started: Fixture[] = [];
  for (const file of files) {
    const start = ((await import(pathToFileURL(join(FIXTURES_DIR, file)).href)) as { default: () => Promise<Fixture> }).default;
    started.push(await start());
  }
  return {
    placeholders: Object.assign({}, ...started.map((f) => f.placeholders)) as Record<string, string>,
    settings: Object.assign({}, ...started.map((f) => f.settings)) as Record<string, Record<string, unknown>>,
    env: Object.assign({}, ...started.map((f) => f.env)) as Record<string, string>,
    stop: async () => {
      await Promise.all(started.map((f) => f.stop?.()));
    },
  };
}
