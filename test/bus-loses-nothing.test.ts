// Issue 4 with real processes: events queued for a Go sidecar that is killed and
// restarted, and for a Rust wasm module booted again after a timeout, all end
// delivered or dead-lettered. Each event has its own publisher, so the row the
// twin's broadcast handler writes (event:<source>) names it; a native plugin
// records what reaches _dlq.parity.broadcast.
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bootProject, PARITY_FIXTURES, type TestProject } from './project.ts';

interface Bus {
  publish(input: object, call: object): { id: string };
  idle(): Promise<void>;
  counts(): { delivered: number; deadLettered: number };
}
interface DeadLetter {
  event: { source: string };
  error: { code: string };
}
const shared = globalThis as unknown as { __dead?: DeadLetter[] };

let project: TestProject | undefined;
beforeEach(() => {
  shared.__dead = [];
});
afterEach(async () => {
  await project?.stop();
  project = undefined;
});

const DEAD_LETTERS = {
  'domains/audit/plugins/dead.ts': `export class DeadPlugin {
    constructor({ bus }) { this.bus = bus; }
    async onBoot() { await this.bus.subscribe({ topic: '_dlq.parity.broadcast', handler: (e) => { globalThis.__dead.push(e.payload); } }); }
  }`,
  'domains/parity/migrations/001.sql': readFileSync(join(PARITY_FIXTURES, 'domains/parity/migrations/001_parity_items.sql'), 'utf8'),
};

const bus = () => project!.kernel.getTool('bus') as Bus;
const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}/e${String(i).padStart(3, '0')}`);
function publishAll(callers: string[]): void {
  for (const caller of callers) bus().publish({ topic: 'parity.broadcast', payload: { from: caller }, key: '' }, { caller, traceId: '0af7651916cd43dd8448eb211c80319c' });
}
/** The events a twin recorded, by publisher, in the order it recorded them. */
function recorded(hosting: string, prefix: string): string[] {
  const db = new Database(join(project!.root, 'data/test.db'), { readonly: true });
  const rows = db.prepare('SELECT text FROM parity_items WHERE hosting = ? AND text LIKE ? ORDER BY id').all(hosting, `event:${prefix}/%`) as { text: string }[];
  db.close();
  return rows.map((r) => r.text.slice('event:'.length));
}
async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('issue 4: no event lost to a restart or a reboot', () => {
  it('issue 4: a Go sidecar killed (-9) and restarted while events are queued for it: each one delivered or dead-lettered', async () => {
    const binary = join(PARITY_FIXTURES, 'sidecars/parity-go/bin/parity-go');
    project = await bootProject({
      ...DEAD_LETTERS,
      'sidecars/parity-go/sidecar.json': JSON.stringify({ name: 'parity-go', command: binary, needs: ['http', 'db', 'logger', 'bus'], startTimeoutMs: 5000, restart: { backoffMs: 50 } }),
    });
    expect(project.item('sidecar/parity-go')!.status).toBe('ready');
    const events = names('restart', 300);
    publishAll(events);
    await until('some events to reach the sidecar', () => bus().counts().delivered >= 10);
    const ps = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
    const pid = Number(ps.split('\n').find((line) => line.includes('bin/parity-go'))!.trim().split(/\s+/)[0]);
    process.kill(pid, 'SIGKILL');
    await until('the sidecar to be marked down', () => project!.item('sidecar/parity-go')!.status !== 'ready');
    await until('the sidecar to be ready again', () => project!.item('sidecar/parity-go')!.status === 'ready');
    await bus().idle();

    const delivered = recorded('go', 'restart');
    const dead = shared.__dead!.map((d) => d.event.source);
    expect(new Set([...delivered, ...dead])).toEqual(new Set(events));
    // At least once: only the event in the handler when the process died may count twice.
    expect(delivered.length + dead.length - events.length).toBeLessThanOrEqual(1);
    expect(delivered.length, 'the restarted sidecar got the rest of its queue').toBeGreaterThan(10);
  });

  it('issue 4: a Rust wasm module booted again after a timeout while events are queued for it: each one delivered or dead-lettered', async () => {
    const manifest = JSON.parse(readFileSync(join(PARITY_FIXTURES, 'wasm-plugins/parity-rust/plugin.json'), 'utf8'));
    delete manifest.build;
    manifest.module = join(PARITY_FIXTURES, 'wasm-plugins/parity-rust/parity_rust.wasm');
    manifest.limits = { timeoutMs: 300 };
    project = await bootProject({ ...DEAD_LETTERS, 'wasm-plugins/parity-rust/plugin.json': JSON.stringify(manifest) });
    expect(project.item('wasm/parity-rust')!.status).toBe('ready');
    const subscription = () => project!.kernel.subscriptions.list().find((s) => s.owner === 'wasm/parity-rust' && s.topic === 'parity.broadcast')!.id;
    const before = subscription();

    // The runaway call holds the module; the events queue up behind it.
    const spin = fetch(`${project.url}/parity/rust/spin/100000`, { method: 'POST' });
    await new Promise((r) => setTimeout(r, 50));
    const events = names('reboot', 20);
    publishAll(events);
    expect((await spin).status).toBe(504);
    await bus().idle();

    // Registrations happen once whatever the pool size: the instance booted again
    // replays them (kernel/wasm-registrations.ts), so the subscription is the same one.
    expect(subscription(), 'booted again: the same subscription, not a second one').toBe(before);
    const delivered = recorded('rust', 'reboot');
    const dead = shared.__dead!.map((d) => d.event.source);
    expect(delivered.length + dead.length).toBe(events.length);
    expect(new Set([...delivered, ...dead])).toEqual(new Set(events));
    // Nothing failed: the rebooted module got every event, in publish order.
    expect(delivered).toEqual(events);
  });
});
