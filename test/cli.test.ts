// The microcore command as a user runs it: `start` in the repository root boots
// the example app (native domains, the Go sidecar, the Rust wasm module; not the
// parity fixtures, which live in test/fixtures/parity), serves
// real HTTP, and stops cleanly on SIGTERM, taking its sidecar with it.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from './project.ts';

const CLI = join(REPO, 'cli/main.ts');

describe('microcore start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mc-cli-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the example app, then shuts down on SIGTERM with its sidecar', async () => {
    child = spawn(process.execPath, [CLI, 'start'], {
      cwd: REPO,
      env: { ...process.env, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'debug', DATABASE_PATH: join(dataDir, 'app.db'), AI_CONTEXT_PATH: join(dataDir, 'AI_CONTEXT.md') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line within 30 s:\n${output.join('\n')}`)), 30_000);
      createInterface({ input: child!.stdout! }).on('line', (line) => {
        output.push(line);
        const m = /"port":(\d+).*listening on/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child!.once('exit', (code) => reject(new Error(`exited ${code} before listening:\n${output.join('\n')}`)));
    });
    const url = `http://127.0.0.1:${port}`;
    await new Promise((r) => setTimeout(r, 100));
    const [, ready, total] = /boot report \((\d+)\/(\d+) ready\)/.exec(output.join('\n')) ?? [];
    expect(Number(total)).toBeGreaterThanOrEqual(13);
    expect(ready, output.join('\n')).toBe(total);
    expect(output.join('\n'), 'the parity fixtures are not part of the example app').not.toMatch(/parity/);

    const created = await fetch(`${url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada', email: 'ada@example.org' }) });
    expect(created.status).toBe(201);
    const listed = (await (await fetch(`${url}/users`)).json()) as { users: { name: string }[] };
    expect(listed.users.map((u) => u.name)).toEqual(['Ada']);
    // The Go sidecar answers from its own table, the Rust wasm module searches the catalog.
    const stock = await fetch(`${url}/inventory/widget`);
    expect(stock.status).toBe(200);
    expect(await stock.json()).toMatchObject({ sku: 'widget', reserved: 0 });
    const search = await fetch(`${url}/catalog/search?q=wireles+hedphones&limit=5`);
    expect(search.status).toBe(200);
    const { results } = (await search.json()) as { results: { name: string }[] };
    expect(results[0]?.name).toMatch(/^Wireless Headphones/);

    const sidecarPids = childPids(child.pid!);
    expect(sidecarPids.length).toBeGreaterThanOrEqual(1);
    const exit = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const code = await exit;
    expect(code, output.slice(-15).join('\n')).toBe(0);
    child = undefined;
    for (const pid of sidecarPids) expect(alive(pid), `sidecar ${pid} outlived the kernel`).toBe(false);
  });

  it('keeps compiled code in the compile cache NODE_COMPILE_CACHE names, so a restart skips stripping and compiling', () => {
    const cache = mkdtempSync(join(tmpdir(), 'mc-compile-cache-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, NODE_COMPILE_CACHE: cache, DATABASE_PATH: join(dataDir, 'cache.db'), AI_CONTEXT_PATH: 'off' };
      delete env.NODE_DISABLE_COMPILE_CACHE;
      const res = spawnSync(process.execPath, [CLI, 'status'], { cwd: REPO, env, encoding: 'utf8' });
      expect(res.status, res.stderr).toBe(0);
      const files = readdirSync(cache, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
      // One entry per module compiled: the kernel, its tools and the plugins, in the tens at least.
      expect(files.length, 'modules cached').toBeGreaterThan(50);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('answers an unknown command with the usage and exit code 2', () => {
    const res = spawnSync(process.execPath, [CLI, 'launch'], { encoding: 'utf8' });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain("microcore: unknown command 'launch'");
    expect(res.stderr).toContain('boot and serve until stopped');
  });
});

function childPids(pid: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return out.split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
