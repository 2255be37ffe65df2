// The parent's side of bench/project.server.ts: fork one project server, talk
// to it over IPC, and load it with autocannon from this process. Used by the
// hostings benchmarks (http-get-user has its own, older pair).
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProjectSpec } from './project.server.ts';

type Msg = { type: string; port?: number; cpuUs?: number; usPerCall?: number; reason?: string; error?: string; ms?: number; count?: number };

export class ServerChild {
  readonly name: string;
  port = 0;
  #child: ChildProcess;
  #dir: string;
  #waiting = new Map<string, (m: Msg) => void>();
  /** Messages that came before anyone waited for them (a 'ready' while another server booted). */
  #early = new Map<string, Msg>();

  /** Forks the server (project.server.ts, or another `script` speaking its IPC; `env` over this process's); `ready()` resolves once it booted. */
  constructor(name: string, spec: ProjectSpec, script = join(import.meta.dirname, 'project.server.ts'), env: Record<string, string> = {}) {
    this.name = name;
    this.#dir = mkdtempSync(join(tmpdir(), 'mc-bench-spec-'));
    writeFileSync(join(this.#dir, 'spec.json'), JSON.stringify(spec));
    this.#child = fork(script, [join(this.#dir, 'spec.json')], {
      execArgv: ['--disable-warning=ExperimentalWarning'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#child.on('message', (m: Msg) => {
      const waiter = this.#waiting.get(m.type);
      this.#waiting.delete(m.type);
      if (waiter) waiter(m);
      else this.#early.set(m.type, m);
    });
  }

  get pid(): number {
    return this.#child.pid!;
  }

  async ready(): Promise<void> {
    const failed = this.next('failed').then((m) => Promise.reject(new Error(`${this.name}: ${m.reason}`)));
    failed.catch(() => undefined); // raced below; unobserved once ready wins
    this.port = (await Promise.race([this.next('ready'), failed])).port!;
  }

  /** Resolves on the child's next message of that type; fails if the child dies first. */
  next(type: string): Promise<Msg> {
    const early = this.#early.get(type);
    this.#early.delete(type);
    if (early) return Promise.resolve(early);
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`${this.name} server exited (code ${code}) while the benchmark waited for '${type}'`));
      this.#child.once('exit', onExit);
      this.#waiting.set(type, (m) => {
        this.#child.off('exit', onExit);
        resolve(m);
      });
    });
  }

  async ask(msg: Record<string, unknown> & { type: string }, reply: string): Promise<Msg> {
    const answer = this.next(reply);
    this.#child.send(msg);
    const m = await answer;
    if (m.error) throw new Error(`${this.name}: ${m.error}`);
    return m;
  }

  /** µs per call of sequential kernel.invoke of GET `path` in the child, no HTTP, repeated for at least `minMs`. */
  async invoke(path: string, params: Record<string, string>, query: Record<string, string>, minMs: number): Promise<number> {
    return (await this.ask({ type: 'invoke', path, params, query, minMs }, 'invoked')).usPerCall!;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const exited = new Promise((resolve) => this.#child.once('exit', resolve));
      if (this.#child.connected) this.#child.send({ type: 'exit' });
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
      if (this.#child.exitCode === null) this.#child.kill('SIGKILL');
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

export interface Window {
  reqPerS: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU (kernel and its child processes) per answered request. */
  cpuUsPerReq: number;
  /** Server CPU time over wall time: how close the server got to full cores. */
  cores: number;
}

/** One load window; the server's CPU is read around exactly this window. */
export async function load(server: ServerChild, paths: { method: string; path: string }[], options: { connections: number; seconds: number; overallRate?: number }): Promise<Window> {
  await server.ask({ type: 'start' }, 'started');
  const latencies: number[] = [];
  let bad = 0;
  const started = performance.now();
  const run = autocannon({ url: `http://127.0.0.1:${server.port}`, connections: options.connections, duration: options.seconds, overallRate: options.overallRate, requests: paths });
  // autocannon's own histogram has whole-millisecond buckets; sub-millisecond localhost latencies need the raw times.
  run.on('response', (_client, status, _bytes, ms) => {
    if (status === 200) latencies.push(ms);
    else bad++;
  });
  const result = await run;
  const seconds = (performance.now() - started) / 1000;
  const { cpuUs } = await server.ask({ type: 'stop' }, 'stopped');
  if (bad || result.errors || result.timeouts || !latencies.length) throw new Error(`${server.name}: ${latencies.length} answers 200, ${bad} others, ${result.errors} errors, ${result.timeouts} timeouts`);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * q) - 1)]!;
  return { reqPerS: latencies.length / seconds, p50Ms: at(0.5), p99Ms: at(0.99), cpuUsPerReq: cpuUs! / latencies.length, cores: cpuUs! / 1e6 / seconds };
}

/** JSON text with every object's keys sorted: hostings build maps in different orders (a Go map, a Rust one). */
export function canonicalJson(text: string): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sort(x)])) : v;
  return JSON.stringify(sort(JSON.parse(text)));
}
