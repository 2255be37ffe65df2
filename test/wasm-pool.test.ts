// Issue 9: a worker-mode wasm module runs on a pool of instances (plugin.json
// "instances") made from one compiled module. Calls run in parallel, one per
// instance; the module's registrations happen once whatever the pool size; and
// an instance lost to a timeout takes nothing from the calls the others run.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bootProject, PARITY_FIXTURES, type TestProject } from './project.ts';

// The parity-rust fixture, built; one constant so that a move of the fixture is a one-line change.
const PARITY_RUST = join(PARITY_FIXTURES, 'wasm-plugins/parity-rust');
const MIGRATION = join(PARITY_FIXTURES, 'domains/parity/migrations/001_parity_items.sql');

const shared = globalThis as unknown as { __echoStarted?: () => void; __echoRelease?: Promise<void> };

/** This process's OS threads: each started wasm instance is a worker thread of its own. */
const threads = () => readdirSync('/proc/self/task').length;

// A native plugin answering parity-rust's bus request to parity.ts.echo, held
// until the test releases it: a wasm call that stays busy as long as the test wants.
const HELD_ECHO = `export class EchoPlugin {
  constructor({ bus }) { this.bus = bus; }
  async onBoot() { await this.bus.subscribe({ topic: 'parity.ts.echo', handler: async (e) => { globalThis.__echoStarted(); await globalThis.__echoRelease; return e.payload; } }); }
}`;

async function bootParityRust(change: (manifest: Record<string, unknown>) => void, files: Record<string, string> = {}): Promise<TestProject> {
  const manifest = JSON.parse(readFileSync(join(PARITY_RUST, 'plugin.json'), 'utf8'));
  delete manifest.build;
  manifest.module = join(PARITY_RUST, 'parity_rust.wasm');
  change(manifest);
  return bootProject({ 'domains/parity/migrations/001.sql': readFileSync(MIGRATION, 'utf8'), 'wasm-plugins/parity-rust/plugin.json': JSON.stringify(manifest), ...files }, { env: { HTTP_EXPOSE_ERRORS: 'true' } });
}

let project: TestProject | undefined;
afterEach(async () => {
  await project?.stop();
  project = undefined;
});

describe('issue 9: a pool of wasm instances', () => {
  it('a timeout on one instance does not disturb calls running on the others', async () => {
    project = await bootParityRust((m) => ((m.instances = 2), (m.limits = { timeoutMs: 1500 })), { 'domains/echo/plugins/echo.ts': HELD_ECHO });
    expect(project.item('wasm/parity-rust')!.status, project.item('wasm/parity-rust')!.reason).toBe('ready');
    let release!: () => void;
    shared.__echoRelease = new Promise<void>((r) => (release = r));
    const echoStarted = new Promise<void>((r) => (shared.__echoStarted = r));

    // Instance A spins until its timeout; B, on the other instance, is kept
    // inside a tool call from before that timeout until after it.
    const started = Date.now();
    const runaway = fetch(`${project.url}/parity/rust/spin/100000`, { method: 'POST' });
    await new Promise((r) => setTimeout(r, 700));
    const held = fetch(`${project.url}/parity/rust/request/ts`, { method: 'POST' });
    await echoStarted;
    const heldAt = Date.now() - started;

    const timedOut = await runaway;
    expect(timedOut.status).toBe(504);
    expect(((await timedOut.json()) as { error: { code: string } }).error.code).toBe('MC_ERR_WASM_TIMEOUT');
    // B reached the echo handler before A's timeout could free anything: it did not wait behind A.
    expect(heldAt, 'the second call ran while the first still spun').toBeLessThan(1500);

    release();
    const answer = await held;
    expect(answer.status, await answer.clone().text()).toBe(200);
    expect(JSON.parse(await answer.text())).toMatchObject({ blob: 'AP8QgA==', from: 'rust' });

    // The lost instance is booted again and both serve.
    const counts = await Promise.all([1, 2, 3, 4].map(() => fetch(`${project!.url}/parity/rust/count`)));
    for (const res of counts) expect(res.status, await res.clone().text()).toBe(200);
  });

  it('starts one instance with the module and another only when calls find every started one busy', async () => {
    project = await bootParityRust((m) => (m.instances = 3), { 'domains/echo/plugins/echo.ts': HELD_ECHO });
    expect(project.item('wasm/parity-rust')!.status, project.item('wasm/parity-rust')!.reason).toBe('ready');
    const idle = threads();
    // Three calls held inside a tool call at once: each needs an instance of its own.
    let release!: () => void;
    shared.__echoRelease = new Promise<void>((r) => (release = r));
    let reached = 0;
    const allThree = new Promise<void>((r) => (shared.__echoStarted = () => ++reached === 3 && r()));
    const held = [1, 2, 3].map(() => fetch(`${project!.url}/parity/rust/request/ts`, { method: 'POST' }));
    await allThree;
    expect(threads() - idle, 'two more instances, each a worker thread, started for the calls').toBeGreaterThanOrEqual(2);
    release();
    for (const res of await Promise.all(held)) expect(res.status, await res.clone().text()).toBe(200);
  });

  it('adds routes and subscriptions once whatever the pool size, and serves concurrent calls', async () => {
    project = await bootParityRust((m) => (m.instances = 3));
    expect(project.item('wasm/parity-rust')!.status, project.item('wasm/parity-rust')!.reason).toBe('ready');
    const topics = project.kernel.subscriptions.list().filter((s) => s.owner === 'wasm/parity-rust').map((s) => s.topic);
    expect(topics).toEqual(['parity.broadcast', 'parity.rust.echo']);
    const routes = project.kernel.routes.list().filter((r) => r.owner === 'wasm/parity-rust').map((r) => `${r.method} ${r.path}`);
    expect(new Set(routes).size, routes.join(', ')).toBe(routes.length);
    const answers = await Promise.all(Array.from({ length: 9 }, () => fetch(`${project!.url}/parity/rust/count`)));
    for (const res of answers) expect(res.status, await res.clone().text()).toBe(200);
  });
});
