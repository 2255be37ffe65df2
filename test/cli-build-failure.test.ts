// Issue item 15: a sidecar or wasm module whose build failed is shown as such —
// in the boot report (`microcore status`, `microcore dev`), /system/status and
// AI_CONTEXT.md — with the compiler's last lines, and says whether the previous
// build keeps serving. The sidecar here is the real parity-go binary (the
// "previous build"); its build command fails like a compiler would.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { Kernel } from '../kernel/index.ts';
import { PARITY_FIXTURES, REAL_TOOLS, REPO, writeProject } from './project.ts';

const CLI = join(REPO, 'cli/main.ts');
const QUIET = { LOG_LEVEL: 'silent', AI_CONTEXT_PATH: 'off', HTTP_PORT: '0', HTTP_HOST: '127.0.0.1' };
const COMPILER_LINE = './main.go:12:2: undefined: db.Qurey';
// Fails while sidecars/parity-go/BROKEN exists, printing what `go build` would.
const BUILD = ['sh', '-c', `if [ -e BROKEN ]; then echo '# parity-go' >&2; echo '${COMPILER_LINE}' >&2; exit 1; fi`];

let root = '';
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = '';
});

function project(): string {
  root = writeProject(
    {
      'sidecars/parity-go/sidecar.json': JSON.stringify({ name: 'parity-go', command: 'bin/parity-go', build: BUILD, needs: ['http', 'db', 'logger', 'bus'] }),
      // Never built: its build fails and there is no module to fall back on.
      'wasm-plugins/no-module/plugin.json': JSON.stringify({ name: 'no-module', module: 'no_module.wasm', build: ['sh', '-c', 'echo "error[E0425]: cannot find value `x`" >&2; exit 101'] }),
      // /system/status as the example app serves it (its relative kernel import resolves through the project's kernel link).
      'domains/system/plugins/status.ts': readFileSync(join(REPO, 'domains/system/plugins/status.ts'), 'utf8'),
    },
    [...REAL_TOOLS, 'context'],
  );
  mkdirSync(join(root, 'sidecars/parity-go/bin'));
  copyFileSync(join(PARITY_FIXTURES, 'sidecars/parity-go/bin/parity-go'), join(root, 'sidecars/parity-go/bin/parity-go'));
  return root;
}

function microcore(args: string[]) {
  return spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...QUIET, DATABASE_PATH: join(root, 'data/app.db') }, timeout: 60_000 });
}

describe('a failed build (issue item 15)', () => {
  it('is recorded by microcore build and shown by status, /system/status and AI_CONTEXT.md; the previous build keeps serving', async () => {
    project();
    writeFileSync(join(root, 'sidecars/parity-go/BROKEN'), '');
    const build = microcore(['build']);
    expect(build.status).toBe(1);
    expect(build.stderr).toContain(COMPILER_LINE); // passed through as it ran
    expect(build.stdout).toContain('✗ sidecar/parity-go: `sh -c');
    expect(build.stdout).toContain('failed (exit 1)');

    const status = microcore(['status']);
    expect(status.status, status.stdout + status.stderr).toBe(1);
    expect(status.stdout).toMatch(/failed\s+sidecar\s+sidecar\/parity-go/);
    expect(status.stdout).toContain('MC_ERR_PLUGIN_BUILD: sidecar/parity-go: its last build failed (`sh -c');
    expect(status.stdout).toContain('the previous build keeps serving until a build succeeds');
    expect(status.stdout).toMatch(new RegExp(`^ {10} {2}${COMPILER_LINE.replace(/[.]/g, '\\.')}$`, 'm'));
    expect(status.stdout).toMatch(/failed\s+wasm\s+wasm\/no-module/);
    expect(status.stdout).toContain('no previous build is running (MC_ERR_WASM_LOAD');
    expect(status.stdout).toContain('error[E0425]: cannot find value `x`');

    const contextPath = join(root, 'AI_CONTEXT.md');
    const kernel = new Kernel({ root, env: { ...QUIET, AI_CONTEXT_PATH: contextPath, DATABASE_PATH: join(root, 'data/app.db') } });
    await kernel.boot();
    try {
      const url = `http://127.0.0.1:${(kernel.getTool('http') as { port: number }).port}`;
      const body = (await (await fetch(`${url}/system/status`)).json()) as { plugins: { name: string; status: string; code: string; reason: string }[] };
      const item = body.plugins.find((p) => p.name === 'sidecar/parity-go')!;
      expect(item).toMatchObject({ status: 'failed', code: 'MC_ERR_PLUGIN_BUILD' });
      expect(item.reason).toContain(COMPILER_LINE);
      // The previous binary answers: a real response from the sidecar.
      const denied = await fetch(`${url}/parity/go/denied`);
      expect(denied.status).toBe(403);
      const context = readFileSync(contextPath, 'utf8');
      expect(context).toContain('### sidecar/parity-go');
      expect(context).toContain('**failed** — MC_ERR_PLUGIN_BUILD: sidecar/parity-go: its last build failed');
      expect(context).toContain(`    ${COMPILER_LINE}`);
      expect(context).toMatch(/\| sidecar\/parity-go \| sidecar \| failed \| MC_ERR_PLUGIN_BUILD: .*undefined: db\.Qurey \|/);
    } finally {
      await kernel.shutdown();
    }

    // A good build clears the record: all is well again.
    rmSync(join(root, 'sidecars/parity-go/BROKEN'));
    rmSync(join(root, 'wasm-plugins/no-module'), { recursive: true });
    expect(microcore(['build']).status).toBe(0);
    expect(existsSync(join(root, 'data/build-failures/sidecar-parity-go.json'))).toBe(false);
    const fixed = microcore(['status']);
    expect(fixed.status, fixed.stdout).toBe(0);
    expect(fixed.stdout).toMatch(/ok\s+sidecar\s+sidecar\/parity-go/);
  });

  it('in dev, a failed rebuild keeps the previous build serving, marked failed with the compiler output; a fixed one swaps it back in', async () => {
    project();
    rmSync(join(root, 'wasm-plugins/no-module'), { recursive: true });
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'dev'], { cwd: root, env: { ...process.env, ...QUIET, LOG_LEVEL: 'info', DATABASE_PATH: join(root, 'data/app.db') }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const ports: number[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const m = /"port":(\d+).*listening on/.exec(line);
      if (m) ports.push(Number(m[1]));
    });
    const text = () => lines.join('\n');
    // The server logs that it listens before the CLI prints the boot report: wait for the report.
    const until = async (what: string, check: () => boolean) => {
      for (const t0 = Date.now(); !check(); await new Promise((r) => setTimeout(r, 20))) {
        if (Date.now() - t0 > 45_000) throw new Error(`timed out waiting for ${what}:\n${text()}`);
      }
    };
    const status = async () => ((await (await fetch(`http://127.0.0.1:${ports[0]}/system/status`)).json()) as { plugins: { name: string; status: string; code: string; reason: string }[] }).plugins.find((p) => p.name === 'sidecar/parity-go')!;
    try {
      await until('the first boot report', () => /ok\s+sidecar\s+sidecar\/parity-go/.test(text()));
      writeFileSync(join(root, 'sidecars/parity-go/BROKEN'), '');
      await until('the refused swap', () => text().includes('microcore dev: sidecar/parity-go not reloaded'));
      const output = text();
      expect(output).toContain('microcore dev: a build failed: the previous build of that plugin keeps serving');
      expect(output).toContain('the previous build keeps serving until a build succeeds');
      expect(output).toContain(COMPILER_LINE);
      expect(await status()).toMatchObject({ status: 'failed', code: 'MC_ERR_PLUGIN_BUILD' });
      // No restart: the kernel that booted first still serves, the previous build answering.
      expect(ports).toHaveLength(1);
      expect((await fetch(`http://127.0.0.1:${ports[0]}/parity/go/denied`)).status).toBe(403);
      rmSync(join(root, 'sidecars/parity-go/BROKEN'));
      await until('the swap after the fix', () => text().includes('microcore dev: sidecar/parity-go reloaded in'));
      expect(await status()).toMatchObject({ status: 'ready', reason: '' });
      expect((await fetch(`http://127.0.0.1:${ports[0]}/parity/go/denied`)).status).toBe(403);
      expect(ports).toHaveLength(1);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
