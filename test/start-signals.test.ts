// `microcore start` as a service manager or a terminal runs it: issue 7, items 17
// and 19. Bound to every interface, the start line says so; a capability denial
// by a sidecar or wasm module is logged on the server and counted in
// /system/metrics, not only answered 403; and SIGTERM sent to the whole process
// group (Ctrl-C, systemd) stops everything without "sidecar exited" errors.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, expect, it } from 'vitest';
import { REPO, writeParityProject } from './project.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'mc-signals-'));
// The example app with the parity fixtures, whose sidecar and wasm module call a tool they did not declare.
const project = writeParityProject();
let child: ChildProcess | undefined;
afterAll(() => {
  if (child?.pid) process.kill(-child.pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(project, { recursive: true, force: true });
});

it('logs and counts capability denials, names the bound address, and stops on a group SIGTERM without crash reports', async () => {
  // Its own process group, so the signal reaches the kernel and its sidecars together.
  child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(REPO, 'cli/main.ts'), 'start'], {
    cwd: project,
    detached: true,
    env: { ...process.env, HTTP_PORT: '0', HTTP_HOST: '0.0.0.0', LOG_LEVEL: 'info', DATABASE_PATH: join(dataDir, 'app.db'), AI_CONTEXT_PATH: join(dataDir, 'AI_CONTEXT.md') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within 30 s:\n${output.join('\n')}`)), 30_000);
    createInterface({ input: child!.stdout! }).on('line', (line) => {
      output.push(line);
      const m = /listening on http:\/\/0\.0\.0\.0:(\d+) \(every interface\)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child!.once('exit', (code) => reject(new Error(`exited ${code} before listening:\n${output.join('\n')}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  await new Promise((r) => setTimeout(r, 200));

  for (const hosting of ['go', 'rust']) expect((await fetch(`${url}/parity/${hosting}/denied`)).status, hosting).toBe(403);
  await new Promise((r) => setTimeout(r, 100));
  for (const identity of ['sidecar/parity-go', 'wasm/parity-rust']) {
    const logged = output.find((l) => l.includes('MC_ERR_CAP_DENIED') && l.includes(`"identity":"${identity}"`));
    expect(logged, `${identity} denial in the server log:\n${output.slice(-20).join('\n')}`).toBeDefined();
    expect(JSON.parse(logged!)).toMatchObject({ level: 'warn', tool: 'state', method: expect.any(String), declared: expect.stringContaining('http') });
  }
  const metrics = (await (await fetch(`${url}/system/metrics`)).json()) as { totals: { caller: string; tool: string; errors: number }[]; recent: { caller: string; code?: string }[] };
  for (const identity of ['sidecar/parity-go', 'wasm/parity-rust']) {
    expect(metrics.totals.find((t) => t.caller === identity && t.tool === 'state')?.errors, identity).toBe(1);
    expect(metrics.recent.some((c) => c.caller === identity && c.code === 'MC_ERR_CAP_DENIED'), identity).toBe(true);
  }

  // The sidecar's socket folder, from its own environment, must be gone afterwards.
  const sidecar = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('parity-go'));
  expect(sidecar).toBeDefined();
  const socketDir = /MICROCORE_SOCKET_DIR=([^\0]+)/.exec(readFileSync(`/proc/${sidecar}/environ`, 'utf8'))?.[1];
  expect(socketDir && existsSync(socketDir)).toBe(true);

  const exit = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  process.kill(-child.pid!, 'SIGTERM');
  const code = await exit;
  child = undefined;
  expect(code, output.slice(-15).join('\n')).toBe(0);
  expect(output.filter((l) => /exited \(code|restarting sidecar|MC_ERR_SIDECAR_DOWN/.test(l)), 'no crash report for a group SIGTERM').toEqual([]);
  expect(existsSync(socketDir!)).toBe(false);
}, 90_000);
