// Sidecar supervision with the real Go sidecar: a process that dies is restarted
// and serves again; one that keeps dying is a crash loop and stays failed.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bootProject, PARITY_FIXTURES, type TestProject } from './project.ts';

const BINARY = join(PARITY_FIXTURES, 'sidecars/parity-go/bin/parity-go');
let project: TestProject | undefined;
afterEach(async () => {
  await project?.stop();
  project = undefined;
});

function files(manifest: object): Record<string, string> {
  return {
    'domains/parity/migrations/001.sql': readFileSync(join(PARITY_FIXTURES, 'domains/parity/migrations/001_parity_items.sql'), 'utf8'),
    'sidecars/parity-go/sidecar.json': JSON.stringify({ name: 'parity-go', command: BINARY, needs: ['http', 'db', 'logger', 'bus'], startTimeoutMs: 5000, ...manifest }),
  };
}

function sidecarPid(): number {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  const ours = out.split('\n').filter((line) => line.includes('bin/parity-go')).map((line) => Number(line.trim().split(/\s+/)[0]));
  expect(ours).toHaveLength(1);
  return ours[0]!;
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('sidecar supervision', () => {
  it('restarts a sidecar that dies, re-registers its handlers once, and serves again', async () => {
    project = await bootProject(files({ restart: { backoffMs: 50 } }));
    const status = () => project!.item('sidecar/parity-go')!.status;
    expect(status()).toBe('ready');
    expect((await fetch(`${project.url}/parity/go/count`)).status).toBe(200);
    const first = sidecarPid();

    process.kill(first, 'SIGKILL');
    await until('the sidecar to be marked dead', () => status() !== 'ready');
    const down = await fetch(`${project.url}/parity/go/count`);
    if (status() === 'dead') expect(down.status).toBe(503);
    await until('the sidecar to be ready again', () => status() === 'ready');

    expect(sidecarPid()).not.toBe(first);
    const res = await fetch(`${project.url}/parity/go/count`);
    expect(res.status).toBe(200);
    expect(project.kernel.subscriptions.list().filter((s) => s.owner === 'sidecar/parity-go').map((s) => s.topic)).toEqual(['parity.broadcast', 'parity.go.echo']);
  });

  it('gives up on a crash loop and says why', async () => {
    // The sidecar is killed 300 ms after every start, by the shell that starts it.
    const command = `${BINARY} & pid=$!; sleep 0.3; kill -9 $pid; wait`;
    project = await bootProject({ ...files({ restart: { backoffMs: 20, maxRestarts: 2, windowMs: 30_000 } }), 'sidecars/parity-go/sidecar.json': JSON.stringify({ name: 'parity-go', command: 'sh', args: ['-c', command], needs: ['http', 'db', 'logger', 'bus'], restart: { backoffMs: 20, maxRestarts: 2, windowMs: 30_000 } }) });
    await until('the crash loop to be detected', () => project!.item('sidecar/parity-go')!.status === 'failed', 15_000);
    const item = project.item('sidecar/parity-go')!;
    expect(item.code).toBe('MC_ERR_SIDECAR_DOWN');
    expect(item.reason).toContain('exited 3 times within 30000 ms (restart.maxRestarts 2), so it is not restarted again');
  });

  it('leaves a sidecar dead when its policy is never', async () => {
    project = await bootProject(files({ restart: { policy: 'never' } }));
    process.kill(sidecarPid(), 'SIGKILL');
    await until('the sidecar to be marked dead', () => project!.item('sidecar/parity-go')!.status === 'dead');
    await new Promise((r) => setTimeout(r, 700));
    expect(project.item('sidecar/parity-go')!.status).toBe('dead');
    const res = await fetch(`${project.url}/parity/go/count`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('MC_ERR_SIDECAR_DOWN');
  });

  it('fails a handler call past callTimeoutMs, naming the deadline, and keeps the sidecar running', async () => {
    project = await bootProject(
      {
        ...files({ callTimeoutMs: 300 }),
        'domains/slow/plugins/never.ts': `export class NeverPlugin { constructor({ bus }) { this.bus = bus; } async onBoot() { await this.bus.subscribe({ topic: 'parity.slow.echo', handler: () => new Promise(() => {}) }); } }`,
      },
      { env: { HTTP_EXPOSE_ERRORS: 'true' } },
    );
    const started = Date.now();
    const res = await fetch(`${project.url}/parity/go/request/slow`, { method: 'POST' });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(res.status).toBe(500);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('MC_ERR_HANDLER_FAILED');
    expect(error.message).toContain('sidecar/parity-go did not finish Plugin.invoke within 300 ms');
    expect(project.item('sidecar/parity-go')!.status).toBe('ready');
  });
});
