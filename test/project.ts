// Test harness: a throwaway MicroCore project in a temp folder, booted by a real
// kernel. Tools are the repository's own (re-exported by absolute path), so a
// test exercises the real drivers; plugins are whatever the test writes.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Kernel, type ReportItem } from '../kernel/index.ts';

export const REPO = resolve(import.meta.dirname, '..');

/** The repository's tool folders, by folder name. */
export const REAL_TOOLS = ['bus', 'bus-nats', 'config', 'db-postgres', 'db-sqlite', 'http', 'logger', 'state', 'state-postgres', 'system'] as const;
/** The tool folders `microcore add` put in the tree (catalog/): the conformance matrix runs them too. */
export const ADDED_TOOLS: readonly string[] = readdirSync(join(REPO, 'tools')).filter((f) => !(REAL_TOOLS as readonly string[]).includes(f) && !['context', 'db-common'].includes(f) && existsSync(join(REPO, 'tools', f, 'tool.ts')));

export interface TestProject {
  root: string;
  kernel: Kernel;
  report: ReportItem[];
  /** Base URL of the HTTP server (HTTP_PORT=0 picked a free port). */
  url: string;
  item(name: string): ReportItem | undefined;
  stop(): Promise<void>;
}

/**
 * Writes `files` (path -> content) into a new project with the given real
 * tools, boots it, and returns it. The caller must stop() it.
 */
export async function bootProject(files: Record<string, string | Uint8Array>, options: { tools?: readonly string[]; env?: Record<string, string>; links?: Record<string, string> } = {}): Promise<TestProject> {
  const root = writeProject(files, options.tools ?? REAL_TOOLS, options.links);
  const kernel = new Kernel({ root, env: { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_PATH: join(root, 'data/test.db'), ...options.env } });
  const report = await kernel.boot();
  const http = kernel.getTool('http') as { port?: number } | undefined;
  return {
    root,
    kernel,
    report,
    url: `http://127.0.0.1:${http?.port ?? 0}`,
    item: (name) => kernel.registry.list().find((i) => i.name === name),
    stop: async () => {
      await kernel.shutdown();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface ExampleApp {
  kernel: Kernel;
  report: ReportItem[];
  url: string;
  /** The app's database file (a throwaway one unless `env` named DATABASE_PATH). */
  dbPath: string;
  stop(): Promise<void>;
}

/**
 * The repository's own example app (its domains, sidecars and wasm modules, all
 * built by scripts/setup.sh) booted by a real kernel on a throwaway database.
 * Every item must come up ready; `env` adds to or overrides the settings.
 */
export async function bootExampleApp(env: Record<string, string> = {}): Promise<ExampleApp> {
  return bootApp(REPO, 'the example app', env, () => undefined);
}

/** The parity plugins the tests use, laid out as a MicroCore project of their own. */
export const PARITY_FIXTURES = join(REPO, 'test/fixtures/parity');

/**
 * The example app and the parity fixtures (test/fixtures/parity: the same
 * endpoints in every hosting) booted together by a real kernel, in a throwaway
 * project of symlinks (writeParityProject). Every item must come up ready.
 */
export async function bootParityApp(env: Record<string, string> = {}): Promise<ExampleApp & { root: string }> {
  const root = writeParityProject();
  const app = await bootApp(root, 'the example app with the parity fixtures', env, () => rmSync(root, { recursive: true, force: true }));
  return { ...app, root };
}

/**
 * A throwaway project whose plugin folders are symlinks to the repository's
 * example app and to the parity fixtures, and whose tools, kernel and SDKs are
 * the repository's own (the kernel finds and imports a linked folder as if it
 * were copied in: kernel/discovery.ts, kernel/plugin-loader.ts): what `microcore start` run in it boots is the example
 * app plus the parity plugins, with the binaries scripts/setup.sh built. The
 * caller removes it (rmSync leaves the link targets alone).
 */
export function writeParityProject(): string {
  const root = mkdtempSync(join(tmpdir(), 'mc-parity-'));
  for (const shared of ['kernel', 'proto', 'sdk', 'scripts', 'node_modules', 'package.json']) symlinkSync(join(REPO, shared), join(root, shared));
  // Tools by re-export from the repository (as writeProject does), so that a test and
  // the kernel share one copy of each kernel module whichever loader imports them.
  for (const folder of readdirSync(join(REPO, 'tools'))) {
    if (existsSync(join(REPO, 'tools', folder, 'tool.ts'))) writeFile(root, `tools/${folder}/tool.ts`, `export { default } from '${REPO}/tools/${folder}/tool.ts';\n`);
  }
  for (const top of ['domains', 'sidecars', 'wasm-plugins']) {
    mkdirSync(join(root, top));
    for (const from of [REPO, PARITY_FIXTURES]) {
      if (!existsSync(join(from, top))) continue;
      for (const name of readdirSync(join(from, top))) symlinkSync(join(from, top, name), join(root, top, name));
    }
  }
  return root;
}

async function bootApp(root: string, what: string, env: Record<string, string>, cleanUp: () => void): Promise<ExampleApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mc-app-'));
  const dbPath = env.DATABASE_PATH ?? join(dataDir, 'app.db');
  const kernel = new Kernel({ root, env: { ...process.env, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'silent', AI_CONTEXT_PATH: 'off', ...env, DATABASE_PATH: dbPath } });
  const report = await kernel.boot();
  const notReady = report.filter((i) => i.status !== 'ready');
  if (notReady.length) {
    await kernel.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
    cleanUp();
    throw new Error(`${what} did not boot whole (run bash scripts/setup.sh to build every sidecar and wasm module):\n${JSON.stringify(notReady, null, 2)}`);
  }
  const http = kernel.getTool('http') as { port: number };
  return {
    kernel,
    report,
    url: `http://127.0.0.1:${http.port}`,
    dbPath,
    stop: async () => {
      await kernel.shutdown();
      rmSync(dataDir, { recursive: true, force: true });
      cleanUp();
    },
  };
}

/** `links`: path in the project → an absolute path it is a symlink to (a plugin folder of the example app, say). */
export function writeProject(files: Record<string, string | Uint8Array>, tools: readonly string[] = REAL_TOOLS, links: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'mc-test-'));
  // What the framework half of this repository provides, so a project laid out
  // by `microcore new` finds its kernel, SDKs and build scripts by relative path.
  for (const shared of ['kernel', 'proto', 'sdk', 'scripts', 'node_modules']) symlinkSync(join(REPO, shared), join(root, shared));
  for (const folder of tools) writeFile(root, `tools/${folder}/tool.ts`, `export { default } from '${REPO}/tools/${folder}/tool.ts';\n`);
  for (const [path, target] of Object.entries(links)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    symlinkSync(target, join(root, path));
  }
  for (const [path, content] of Object.entries(files)) writeFile(root, path, content);
  return root;
}

/** The example app's plugin folders under `tops` (domains, sidecars, wasm-plugins), as links for writeProject. */
export function exampleAppLinks(tops: readonly string[] = ['domains', 'sidecars', 'wasm-plugins']): Record<string, string> {
  const links: Record<string, string> = {};
  for (const top of tops) for (const name of readdirSync(join(REPO, top))) links[`${top}/${name}`] = join(REPO, top, name);
  return links;
}

function writeFile(root: string, path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

/** A loopback port free at the time of asking (another process may take it before it is used). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A one-file native plugin importing the kernel by absolute path. */
export function plugin(body: string): string {
  return `import { mcError } from '${REPO}/kernel/index.ts';\nvoid mcError;\n${body}\n`;
}

/** Pids of this process's children running `exe` (an absolute path): Linux /proc. */
export function childPidsOf(exe: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after its ')'.
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      if (ppid === process.pid && readlinkSync(`/proc/${entry}/exe`) === exe) pids.push(Number(entry));
    } catch {
      // The process ended while we looked: not ours to find.
    }
  }
  return pids;
}
