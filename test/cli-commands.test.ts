// The microcore commands a user types every day, run as processes in real
// projects: status, migrate, new (each skeleton built where it needs building,
// booted, and answering), dev.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { Kernel } from '../kernel/index.ts';
import { plugin, REAL_TOOLS, REPO, writeProject } from './project.ts';
import { postgresDatabase } from './services.ts';

const CLI = join(REPO, 'cli/main.ts');
const QUIET = { LOG_LEVEL: 'silent', AI_CONTEXT_PATH: 'off', HTTP_PORT: '0', HTTP_HOST: '127.0.0.1' };
let root = '';
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = '';
});

function microcore(args: string[], env: Record<string, string> = {}, timeout = 240_000) {
  return spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...QUIET, ...env }, timeout });
}

async function bootAndGet(path: string): Promise<{ status: number; body: unknown; report: { name: string; status: string; reason?: string }[] }> {
  const kernel = new Kernel({ root, env: { ...QUIET, DATABASE_PATH: join(root, 'data/app.db') } });
  const report = await kernel.boot();
  try {
    const res = await fetch(`http://127.0.0.1:${(kernel.getTool('http') as { port: number }).port}${path}`);
    return { status: res.status, body: await res.json(), report };
  } finally {
    await kernel.shutdown();
  }
}

describe('microcore status', () => {
  it('prints the report without serving, and exits 1 naming what failed', () => {
    root = writeProject({
      'domains/a/plugins/fine.ts': plugin(`export class FinePlugin { constructor({ logger }) {} }`),
      'domains/a/plugins/broken.ts': plugin(`export class BrokenPlugin { constructor({ mailer }) {} }`),
    });
    const res = microcore(['status'], { HTTP_PORT: '1' });
    expect(res.status, res.stderr).toBe(1);
    expect(res.stdout).toMatch(/ok\s+native\s+a\/fine/);
    expect(res.stdout).toMatch(/failed\s+native\s+a\/broken/);
    expect(res.stdout).toContain("needs tool 'mailer', which is not loaded");
    // Port 1 needs root to bind and nothing here may bind at all: no listen happened.
    expect(res.stdout + res.stderr).not.toContain('listening');
  });
});

describe('microcore status and AI_CONTEXT.md', () => {
  it('rewrites a stale AI_CONTEXT.md, and a second run leaves it byte-identical', () => {
    root = writeProject({ 'domains/a/plugins/fine.ts': plugin(`export class FinePlugin { constructor({ logger }) {} }`), 'AI_CONTEXT.md': 'stale\n' }, [...REAL_TOOLS, 'context']);
    const first = microcore(['status'], { AI_CONTEXT_PATH: '' });
    expect(first.status, first.stderr).toBe(0);
    const written = readFileSync(join(root, 'AI_CONTEXT.md'), 'utf8');
    expect(written).toContain('### a/fine\n\n- native · `domains/a/plugins/fine.ts` · ready');
    expect(microcore(['status'], { AI_CONTEXT_PATH: '' }).status).toBe(0);
    expect(readFileSync(join(root, 'AI_CONTEXT.md'), 'utf8')).toBe(written);
  });
});

describe('microcore start', () => {
  it('exits 1 saying why when the http tool cannot serve (the port is taken)', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      root = writeProject({});
      const port = String((taken.address() as { port: number }).port);
      const res = microcore(['start'], { HTTP_PORT: port });
      expect(res.status).toBe(1);
      expect(res.stderr).toContain('the http tool failed, so nothing is served');
      expect(res.stderr).toContain('EADDRINUSE');
    } finally {
      taken.close();
    }
  });
});

describe('microcore start and SIGTERM', () => {
  it('shuts down cleanly on a SIGTERM sent the moment the server listens, before boot() has returned', async () => {
    root = writeProject({});
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'start'], { cwd: root, env: { ...process.env, ...QUIET, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      if (line.includes('listening on')) child.kill('SIGTERM');
    });
    expect(await exited, lines.join('\n')).toBe(0);
    expect(lines.join('\n')).toContain('SIGTERM: shutting down');
  });
});

describe('microcore migrate', () => {
  it('applies pending migrations with the db tool alone and lists them', () => {
    root = writeProject({
      'domains/notes/migrations/001_notes.sql': 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);',
      'domains/notes/plugins/broken.ts': plugin(`export class BrokenPlugin { constructor({ mailer }) {} }`),
    });
    const res = microcore(['migrate'], { DATABASE_PATH: join(root, 'app.db') });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^applied {2}notes {2}001_notes\.sql {2}\d{4}-/m);
  });
});

describe('microcore schema', () => {
  it('prints each table with its columns in one type vocabulary, and its owner', () => {
    root = writeProject({ 'domains/notes/migrations/001_notes.sql': "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, tag TEXT UNIQUE DEFAULT 'none', score REAL);" });
    const res = microcore(['schema'], { DATABASE_PATH: join(root, 'app.db') });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^notes {2}\(notes\)$/m);
    expect(res.stdout).toMatch(/^ {2}id\s+integer\s+primary key$/m);
    expect(res.stdout).toMatch(/^ {2}body\s+text\s+not null$/m);
    expect(res.stdout).toMatch(/^ {2}tag\s+text\s+unique default 'none'$/m);
    expect(res.stdout).toMatch(/^ {2}score\s+real$/m);
  });
});

describe('microcore migrate and schema on PostgreSQL', () => {
  it('applies and lists migrations, and prints the schema, with DATABASE_URL set', async () => {
    root = writeProject({ 'domains/notes/migrations/001_notes.sql': "CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT NOT NULL, tag TEXT UNIQUE DEFAULT 'none');" });
    const env = { DATABASE_URL: await postgresDatabase() };
    const migrated = microcore(['migrate'], env);
    expect(migrated.status, migrated.stderr).toBe(0);
    expect(migrated.stdout).toMatch(/^applied {2}notes {2}001_notes\.sql {2}\d{4}-/m);
    const schema = microcore(['schema'], env);
    expect(schema.status, schema.stderr).toBe(0);
    expect(schema.stdout).toMatch(/^notes {2}\(notes\)$/m);
    expect(schema.stdout).toMatch(/^ {2}tag\s+text\s+unique default 'none'$/m);
  });
});

describe('microcore new', () => {
  it('lays out a native plugin and its test, which boots and answers; refuses to overwrite and bad names', async () => {
    root = writeProject({});
    const res = microcore(['new', 'plugin', 'greetings', 'say-hello']);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toContain('created domains/greetings/plugins/say-hello.ts');
    expect(res.stdout).toContain('created domains/greetings/plugins/say-hello.test.ts');
    expect(readFileSync(join(root, 'domains/greetings/plugins/say-hello.ts'), 'utf8')).toContain('export class SayHelloPlugin');
    const { status, body } = await bootAndGet('/greetings/say-hello');
    expect(status).toBe(200);
    expect(body).toEqual({ hello: 'say-hello' });

    const again = microcore(['new', 'plugin', 'greetings', 'say-hello']);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already exist');
    const bad = microcore(['new', 'plugin', 'greetings', 'SayHello']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("'SayHello' is not a valid name");
  });

  it('lays out a Go sidecar that builds, boots and answers', async () => {
    root = writeProject({});
    const res = microcore(['new', 'sidecar', 'hello-go', '--lang', 'go']);
    expect(res.status, res.stderr).toBe(0);
    const build = microcore(['build']);
    expect(build.status, build.stdout + build.stderr).toBe(0);
    const { status, body, report } = await bootAndGet('/hello-go/hello');
    expect(report.find((i) => i.name === 'sidecar/hello-go')).toMatchObject({ status: 'ready' });
    expect(status).toBe(200);
    expect(body).toEqual({ hello: 'hello-go' });
  });

  it('lays out a Rust sidecar that builds, boots and answers', async () => {
    root = writeProject({});
    const res = microcore(['new', 'sidecar', 'hello-rustsc', '--lang', 'rust']);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toContain('created sidecars/hello-rustsc/src/main.rs');
    // The project links the repository's scripts/, so build-rust-sidecar.sh
    // builds into the repository's target/rust-sidecars, where scripts/setup.sh
    // already compiled tonic, tokio and rustls for the example sidecars (minutes
    // on a cold machine): only the scaffold itself compiles here.
    const build = microcore(['build'], {}, 420_000);
    expect(build.status, build.stdout + build.stderr).toBe(0);
    const { status, body, report } = await bootAndGet('/hello-rustsc/hello');
    expect(report.find((i) => i.name === 'sidecar/hello-rustsc')).toMatchObject({ status: 'ready' });
    expect(status).toBe(200);
    expect(body).toEqual({ hello: 'hello-rustsc' });
  }, 480_000);

  it('lays out a Rust wasm plugin that builds, boots and answers', async () => {
    root = writeProject({});
    const res = microcore(['new', 'wasm', 'hello-rust', '--lang', 'rust']);
    expect(res.status, res.stderr).toBe(0);
    // A new crate builds Rust's std for wasm32 from source on the Debian route: minutes on a busy machine.
    const build = microcore(['build'], {}, 540_000);
    expect(build.status, build.stdout + build.stderr).toBe(0);
    const { status, body, report } = await bootAndGet('/hello-rust/hello');
    expect(report.find((i) => i.name === 'wasm/hello-rust')).toMatchObject({ status: 'ready' });
    expect(status).toBe(200);
    expect(body).toEqual({ hello: 'hello-rust' });
  }, 600_000);

  it('lays out a Go wasm plugin that builds, boots and answers', async () => {
    root = writeProject({});
    const res = microcore(['new', 'wasm', 'hello-gowasm', '--lang', 'go']);
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(root, 'wasm-plugins/hello-gowasm/plugin.json'), 'utf8'))).toMatchObject({ wasi: true, module: 'hello-gowasm.wasm' });
    const build = microcore(['build']);
    expect(build.status, build.stdout + build.stderr).toBe(0);
    expect(build.stdout).toContain('GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared');
    const { status, body, report } = await bootAndGet('/hello-gowasm/hello');
    expect(report.find((i) => i.name === 'wasm/hello-gowasm')).toMatchObject({ status: 'ready' });
    expect(status).toBe(200);
    expect(body).toEqual({ hello: 'hello-gowasm' });
  }, 240_000);

  it('says plainly what it cannot lay out yet', () => {
    root = writeProject({});
    const python = microcore(['new', 'wasm', 'x', '--lang', 'python']);
    expect(python.status).toBe(2);
    expect(python.stderr).toContain('--lang python is not available; use --lang rust or go');
    const pySidecar = microcore(['new', 'sidecar', 'x', '--lang', 'python']);
    expect(pySidecar.status).toBe(2);
    expect(pySidecar.stderr).toContain('--lang python is not available; use --lang go or rust');
    const none = microcore(['new', 'sidecar', 'x']);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('--lang is required');
  });
});

describe('microcore dev', () => {
  it('swaps a changed plugin in the running kernel, and restarts it when a tool changes', async () => {
    root = writeProject({ 'domains/a/plugins/hello.ts': plugin(`export class HelloPlugin { constructor({ http }) { this.http = http; } async onBoot() { await this.http.addEndpoint({ method: 'GET', path: '/v', handler: () => ({ v: 1 }) }); } }`) });
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'dev'], { cwd: root, env: { ...process.env, ...QUIET, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const ports: number[] = [];
    const lines: string[] = [];
    const waitFor = (n: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${n} boots:\n${lines.join('\n')}`)), 30_000);
        const check = setInterval(() => {
          if (ports.length >= n) {
            clearInterval(check);
            clearTimeout(timer);
            resolve();
          }
        }, 20);
      });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const m = /"port":(\d+).*listening on/.exec(line);
      if (m) ports.push(Number(m[1]));
    });
    try {
      await waitFor(1);
      expect(await (await fetch(`http://127.0.0.1:${ports[0]}/v`)).json()).toEqual({ v: 1 });
      const file = join(root, 'domains/a/plugins/hello.ts');
      writeFileSync(file, readFileSync(file, 'utf8').replace('({ v: 1 })', '({ v: 2 })'));
      for (const t0 = Date.now(); !lines.some((l) => l.includes('microcore dev: a/hello reloaded in')); await new Promise((r) => setTimeout(r, 20))) {
        if (Date.now() - t0 > 30_000) throw new Error(`no reload:\n${lines.join('\n')}`);
      }
      // The same kernel, on the same port, serves the new version.
      expect(await (await fetch(`http://127.0.0.1:${ports[0]}/v`)).json()).toEqual({ v: 2 });
      expect(ports).toHaveLength(1);
      // A tool is something every plugin depends on: a new process takes it.
      const tool = join(root, 'tools/state/tool.ts');
      writeFileSync(tool, readFileSync(tool, 'utf8') + '// changed\n');
      await waitFor(2);
      expect(lines.join('\n')).toContain('tools/state/tool.ts changed; restarting');
      expect(await (await fetch(`http://127.0.0.1:${ports[1]}/v`)).json()).toEqual({ v: 2 });
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('keeps watching a file saved by replacement: three renames over it, three swaps (issue item 14)', async () => {
    root = writeProject({ 'domains/a/plugins/hello.ts': plugin(`export class HelloPlugin { constructor({ http }) { this.http = http; } async onBoot() { await this.http.addEndpoint({ method: 'GET', path: '/v', handler: () => ({ v: 0 }) }); } }`) });
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'dev'], { cwd: root, env: { ...process.env, ...QUIET, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const ports: number[] = [];
    const lines: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const m = /"port":(\d+).*listening on/.exec(line);
      if (m) ports.push(Number(m[1]));
    });
    const waitFor = async (n: number) => {
      for (const t0 = Date.now(); ports.length < n; await new Promise((r) => setTimeout(r, 20))) {
        if (Date.now() - t0 > 30_000) throw new Error(`expected ${n} boots:\n${lines.join('\n')}`);
      }
    };
    try {
      await waitFor(1);
      const file = join(root, 'domains/a/plugins/hello.ts');
      for (let v = 1; v <= 3; v++) {
        // What `sed -i` and many editors do: write a new file, rename it over the old one.
        const tmp = join(root, 'domains/a/plugins/.hello.ts.tmp');
        writeFileSync(tmp, readFileSync(file, 'utf8').replace(/\(\{ v: \d \}\)/, `({ v: ${v} })`));
        renameSync(tmp, file);
        for (const t0 = Date.now(); lines.filter((l) => l.includes('microcore dev: a/hello reloaded in')).length < v; await new Promise((r) => setTimeout(r, 20))) {
          if (Date.now() - t0 > 30_000) throw new Error(`expected ${v} reloads:\n${lines.join('\n')}`);
        }
        expect(await (await fetch(`http://127.0.0.1:${ports[0]}/v`)).json()).toEqual({ v });
      }
      expect(lines.filter((l) => l.includes('microcore dev: a/hello reloaded in'))).toHaveLength(3);
      expect(ports).toHaveLength(1);
      expect(lines.join('\n')).not.toContain('.hello.ts.tmp');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
