// `microcore start` on three processes of one machine, sharing NATS JetStream
// and PostgreSQL, serves the example app together: each says which kernel
// answered and lists the others; a user created through one is read through
// the others; orders placed on two kernels while the third is killed with
// SIGKILL all reserve their stock exactly once (an event the dead kernel had
// taken is redelivered to another after the ack wait, and the inventory sidecar
// shields itself from the duplicate by envelope id); the dead kernel drops out
// of the member list.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO } from './project.ts';
import { natsPrefix, postgresDatabase, servicesFromEnv } from './services.ts';

interface Running {
  id: string;
  child: ChildProcess;
  url: string;
  output: string[];
}

const running: Running[] = [];
let env: Record<string, string>;
beforeAll(async () => {
  env = { DATABASE_URL: await postgresDatabase(), BUS_DRIVER: 'nats', NATS_URL: servicesFromEnv().natsUrl, NATS_PREFIX: natsPrefix(), CLUSTER_HEARTBEAT_MS: '300', BUS_NATS_ACK_WAIT_MS: '2000' };
  // One after another: the first applies the migrations, the others find them applied (or wait on the lock).
  for (const id of ['k1', 'k2', 'k3']) running.push(await start(id));
});
afterAll(() => {
  for (const r of running) if (r.child.exitCode === null && r.child.signalCode === null) process.kill(-r.child.pid!, 'SIGKILL');
});

async function start(id: string): Promise<Running> {
  // Its own process group, so the test can end it with its sidecars.
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(REPO, 'cli/main.ts'), 'start'], {
    cwd: REPO,
    detached: true,
    env: { ...process.env, ...env, KERNEL_ID: id, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'info', AI_CONTEXT_PATH: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${id}: no listening line within 60 s:\n${output.join('\n')}`)), 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`${id} exited ${code} before listening:\n${output.join('\n')}`)));
  });
  return { id, child, url: `http://127.0.0.1:${port}`, output };
}

const json = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const post = (url: string, body: object) => json(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const members = async (r: Running) => ((await json(`${r.url}/system/status`)).body.members as { id: string }[]).map((m) => m.id);
const stock = async (r: Running) => (await json(`${r.url}/inventory/widget`)).body as { stock: number; reserved: number };

it('serves the example app from three processes: which kernel answered, its members, shared data', async () => {
  for (const r of running) {
    const { body } = await json(`${r.url}/system/status`);
    expect(body.kernel).toBe(r.id);
    expect(body.members).toEqual(['k1', 'k2', 'k3'].map((id) => expect.objectContaining({ id })));
    expect((body.plugins as { status: string; name: string }[]).filter((p) => p.status !== 'ready'), r.id).toEqual([]);
  }
  const created = await post(`${running[0]!.url}/users`, { name: 'Grace', email: 'grace@example.org' });
  expect(created.status).toBe(201);
  for (const r of running.slice(1)) expect(await json(`${r.url}/users/${created.body.id}`)).toEqual({ status: 200, body: created.body });
});

it('loses no accepted order when a kernel is killed with SIGKILL mid-stream', async () => {
  const [k1, k2, k3] = running as [Running, Running, Running];
  const before = await stock(k1);
  const placed: Promise<{ status: number }>[] = [];
  for (let n = 0; n < 30; n++) {
    placed.push(post(`${(n % 2 ? k1 : k3).url}/orders`, { sku: 'widget', quantity: 1, email: `buyer${n}@example.org` }));
    if (n === 10) k2.child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 20));
  }
  const answers = await Promise.all(placed);
  // An order whose inventory.check the dead kernel was answering fails (its
  // request times out): not accepted, nothing published. Every other is accepted.
  const accepted = answers.filter((a) => a.status === 201).length;
  expect(answers.filter((a) => a.status !== 201 && a.status < 500)).toEqual([]);
  expect(accepted).toBeGreaterThanOrEqual(25);
  await expect.poll(() => stock(k3), { timeout: 30_000, interval: 250 }).toEqual({ sku: 'widget', stock: before.stock - accepted, reserved: before.reserved + accepted });
  // No late duplicate after all (the ack wait has passed for anything k2 held).
  await new Promise((r) => setTimeout(r, 2500));
  expect(await stock(k1)).toEqual({ sku: 'widget', stock: before.stock - accepted, reserved: before.reserved + accepted });
  await expect.poll(() => members(k1), { timeout: 5_000 }).toEqual(['k1', 'k3']);
});
