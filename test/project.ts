// Test harness: a throwaway MicroCore project in a temp folder, booted by a real
// kernel. Tools are the repository's own (re-exported by absolute path), so a
// test exercises the real drivers; plugins are whatever the test writes.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Kernel, type ReportItem } from '../kernel/index.ts';

export const REPO = resolve(import.meta.dirname, '..');

/** The repository's tool folders, by folder name. */
export const REAL_TOOLS = ['bus', 'config', 'db-sqlite', 'http', 'logger', 'state', 'system'] as const;

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
export async function bootProject(files: Record<string, string | Uint8Array>, options: { tools?: readonly string[]; env?: Record<string, string> } = {}): Promise<TestProject> {
  const root = writeProject(files, options.tools ?? REAL_TOOLS);
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
  stop(): Promise<void>;
}

/**
 * The repository's own example app (its domains, sidecars and wasm modules, all
 * built by scripts/setup.sh) booted by a real kernel on a throwaway database.
 * Every item must come up ready; `env` adds to or overrides the settings.
 */
export async function bootExampleApp(env: Record<string, string> = {}): Promise<ExampleApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mc-app-'));
  const kernel = new Kernel({ root: REPO, env: { ...process.env, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_PATH: join(dataDir, 'app.db'), AI_CONTEXT_PATH: 'off', ...env } });
  const report = await kernel.boot();
  const notReady = report.filter((i) => i.status !== 'ready');
  if (notReady.length) {
    await kernel.shutdown();
    throw new Error(`the example app did not boot whole (run bash scripts/setup.sh to build every sidecar and wasm module):\n${JSON.stringify(notReady, null, 2)}`);
  }
  const http = kernel.getTool('http') as { port: number };
  return {
    kernel,
    report,
    url: `http://127.0.0.1:${http.port}`,
    stop: async () => {
      await kernel.shutdown();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function writeProject(files: Record<string, string | Uint8Array>, tools: readonly string[] = REAL_TOOLS): string {
  const root = mkdtempSync(join(tmpdir(), 'mc-test-'));
  // What the framework half of this repository provides, so a project laid out
  // by `microcore new` finds its kernel, SDKs and build scripts by relative path.
  for (const shared of ['kernel', 'proto', 'sdk', 'scripts', 'node_modules']) symlinkSync(join(REPO, shared), join(root, shared));
  for (const folder of tools) writeFile(root, `tools/${folder}/tool.ts`, `export { default } from '${REPO}/tools/${folder}/tool.ts';\n`);
  for (const [path, content] of Object.entries(files)) writeFile(root, path, content);
  return root;
}

function writeFile(root: string, path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
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
