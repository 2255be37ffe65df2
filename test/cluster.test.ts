// Several kernels on one PostgreSQL database (test/services.ts): each says which
// kernel answered and lists the others in /system/status, and the state tool is
// one store for all of them — a value one kernel's plugin sets, another's reads.
import { join } from 'node:path';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { postgresDatabase } from './services.ts';
import { bootProject, plugin, REPO, type TestProject } from './project.ts';

const TOOLS = ['logger', 'http', 'system', 'state', 'state-postgres', 'config'];
const NOTES = {
  'domains/notes/plugins/notes.ts': plugin(`
    export class NotesPlugin {
      constructor({ http, state }) { this.http = http; this.state = state; }
      async onBoot() {
        await this.http.addEndpoint({ method: 'PUT', path: '/notes/:key', handler: async (req) => { await this.state.set({ key: req.params.key, value: { ...req.body, big: 9007199254740993n } }); return { ok: true }; } });
        await this.http.addEndpoint({ method: 'GET', path: '/notes/:key', handler: async (req) => this.state.get({ key: req.params.key }) });
      }
    }`),
};

let url: string;
const kernels: TestProject[] = [];
beforeAll(async () => {
  url = await postgresDatabase();
});
afterEach(async () => {
  await Promise.all(kernels.splice(0).map((k) => k.stop()));
});

async function kernel(id: string): Promise<TestProject> {
  const k = await bootProject(NOTES, { tools: TOOLS, env: { DATABASE_URL: url, KERNEL_ID: id, CLUSTER_HEARTBEAT_MS: '200' }, links: { 'domains/system': join(REPO, 'domains/system') } });
  kernels.push(k);
  for (const item of k.report) expect(item.status, `${item.name}: ${item.reason}`).toBe('ready');
  return k;
}

const status = async (k: TestProject) => (await (await fetch(`${k.url}/system/status`)).json()) as { kernel: string; members: { id: string; pid: string }[]; tools: { name: string; source: string }[] };

it('says which kernel answered, and lists every kernel on the database', async () => {
  const [one, two] = [await kernel('k-one'), await kernel('k-two')];
  const [s1, s2] = [await status(one), await status(two)];
  expect(s1.kernel).toBe('k-one');
  expect(s2.kernel).toBe('k-two');
  expect(s1.members.map((m) => m.id)).toEqual(['k-one', 'k-two']);
  expect(s2.members.map((m) => m.id)).toEqual(['k-one', 'k-two']);
  expect(s1.tools.find((t) => t.name === 'state')?.source).toBe('tools/state-postgres');

  await two.stop();
  kernels.splice(kernels.indexOf(two), 1);
  expect((await status(one)).members.map((m) => m.id)).toEqual(['k-one']);
});

it('shares state between kernels: what one sets, another reads, values exact', async () => {
  const [one, two] = [await kernel('k-a'), await kernel('k-b')];
  const put = await fetch(`${one.url}/notes/greeting`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hello from k-a' }) });
  expect(put.status).toBe(200);
  const got = await fetch(`${two.url}/notes/greeting`);
  expect(await got.text()).toBe('{"found":true,"value":{"text":"hello from k-a","big":9007199254740993}}');
});

it('refuses a second live kernel under one KERNEL_ID, naming the setting', async () => {
  await kernel('k-first');
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // A kernel on another host heartbeating under the id about to be reused.
    await client.query("INSERT INTO _microcore_kernels (id, hostname, pid, started_at, seen_at) VALUES ('k-twin', 'elsewhere', 1, now(), now())");
  } finally {
    await client.end();
  }
  const k = await bootProject(NOTES, { tools: TOOLS, env: { DATABASE_URL: url, KERNEL_ID: 'k-twin', CLUSTER_HEARTBEAT_MS: '200' } });
  kernels.push(k);
  expect(k.item('system')).toMatchObject({ status: 'failed', code: 'MC_ERR_TOOL_SETUP' });
  expect(k.item('system')!.reason).toContain('KERNEL_ID=k-twin');
  expect(k.item('system')!.reason).toContain('pid 1 on elsewhere');
});
