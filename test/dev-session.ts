// `microcore dev` as a child process, for the hot reload tests: its output
// lines, its URL, and a client load that counts every answer.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REAL_TOOLS, REPO, writeProject } from './project.ts';

const CLI = join(REPO, 'cli/main.ts');

export interface Dev {
  child: ChildProcess;
  root: string;
  lines: string[];
  url: string;
  until(what: string, check: () => boolean, ms?: number): Promise<void>;
  stop(): Promise<number | null>;
}

/**
 * Writes the project (`executables` among its files made so; the repository's
 * tools, the context tool with `AI_CONTEXT_PATH` set in `env`), runs
 * `microcore dev` in it, and waits for its kernel to listen.
 */
export async function startDev(files: Record<string, string | Uint8Array>, options: { executables?: string[]; env?: Record<string, string> } = {}): Promise<Dev> {
  // The example's system domain, for /system/status.
  const tools = options.env?.AI_CONTEXT_PATH ? [...REAL_TOOLS, 'context'] : REAL_TOOLS;
  const root = writeProject(files, tools, { 'domains/system': join(REPO, 'domains/system') });
  for (const file of options.executables ?? []) chmodSync(join(root, file), 0o755);
  const env = { ...process.env, LOG_LEVEL: 'info', AI_CONTEXT_PATH: 'off', HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', DATABASE_PATH: join(root, 'data/app.db'), DASHBOARD: 'off', ...options.env };
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'dev'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let port = 0;
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      const m = /"port":(\d+).*listening on/.exec(line);
      if (m) port = Number(m[1]);
    });
  }
  const until = async (what: string, check: () => boolean, ms = 30_000) => {
    for (const t0 = Date.now(); !check(); await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}:\n${lines.slice(-40).join('\n')}`);
    }
  };
  await until('the kernel to listen', () => port > 0 && lines.some((l) => /booted: \d+ ready/.test(l)));
  return {
    child, root, lines, until,
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Clients posting one request after another until stopped (`paths` in turn); every answer and failure counted. */
export function steadyLoad(url: string, paths: readonly string[] = ['/hit'], clients = 4) {
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  const events: string[] = [];
  const versions: number[] = [];
  /** The versions each client saw, in its order: a client's next request is sent after its last answer. */
  const byClient: number[][] = [];
  const byPath = new Map<string, number>();
  let sent = 0;
  let running = true;
  const client = async (_: unknown, n: number) => {
    const seen: number[] = (byClient[n] = []);
    while (running) {
      try {
        const path = paths[sent++ % paths.length]!;
        const res = await fetch(`${url}${path}`, { method: 'POST' });
        byPath.set(path, (byPath.get(path) ?? 0) + (res.ok ? 1 : 0));
        const body = (await res.json()) as { version?: number; event?: string };
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.ok) {
          events.push(body.event!);
          versions.push(body.version!);
          seen.push(body.version!);
        } else failures.push(`${res.status} ${JSON.stringify(body)}`);
      } catch (err) {
        failures.push(String((err as Error).cause ?? err));
      }
    }
  };
  const running_ = Array.from({ length: clients }, client);
  return {
    statuses, failures, events, versions, byClient,
    /** 2xx answers by path. */
    byPath,
    ok: () => [...statuses].filter(([s]) => s >= 200 && s < 300).reduce((n, [, c]) => n + c, 0),
    stop: async () => {
      running = false;
      await Promise.all(running_);
    },
  };
}


/** How many times dev said it swapped `identity` in. */
export const reloads = (lines: string[], identity: string) => lines.filter((l) => l.includes(`microcore dev: ${identity} reloaded in`)).length;
