// GET /system/status/stream over real HTTP from a booted kernel: the status on
// connect, then on each change; a real sidecar killed shows as dead, then ready
// again, its restarts counted.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PARITY_FIXTURES } from '../../../test/project.ts';
import { bootWithSystem, callsOf, sleep, type SseEvent, SseReader, streamSession } from '../../../test/sse.ts';

const BINARY = join(PARITY_FIXTURES, 'sidecars/parity-go/bin/parity-go');
const session = streamSession('/system/status/stream');
const open = () => session.open();

const sidecar = (e: SseEvent) => (e.data.plugins as { name: string; status: string; restarts: number; routes: string[] }[]).find((p) => p.name === 'sidecar/parity-go');

function sidecarPid(): number {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  const ours = out.split('\n').filter((line) => line.includes('bin/parity-go')).map((line) => Number(line.trim().split(/\s+/)[0]));
  expect(ours).toHaveLength(1);
  return ours[0]!;
}

describe('GET /system/status/stream', () => {
  it('sends the status on connect, shaped as /system/status, with no id', async () => {
    session.project = await bootWithSystem();
    const r = await open();
    await r.until('the status', () => r.named('status').length === 1);
    const [first] = r.named('status');
    expect(first!.id).toBe('');
    const plain = await (await fetch(`${session.project!.url}/system/status`)).json();
    expect(Object.keys(first!.data).sort()).toEqual(Object.keys(plain as object).sort());
    expect(first!.data.plugins.find((p: { name: string }) => p.name === 't/probe')).toMatchObject({ status: 'ready', routes: ['GET /t/ping', 'POST /t/ask', 'POST /t/burst', 'POST /t/log'] });
    // Nothing changed: nothing more is sent, however often the feed looks.
    await sleep(1200);
    expect(callsOf(session.project!, 'system/status-stream', 'system', 'status').count).toBeGreaterThanOrEqual(3);
    expect(r.named('status')).toHaveLength(1);
  });

  it('shows a sidecar killed as dead, then ready once restarted, within a second or two each', async () => {
    session.project = await bootWithSystem({
      files: {
        'domains/parity/migrations/001.sql': readFileSync(join(PARITY_FIXTURES, 'domains/parity/migrations/001_parity_items.sql'), 'utf8'),
        'sidecars/parity-go/sidecar.json': JSON.stringify({ name: 'parity-go', command: BINARY, needs: ['http', 'db', 'logger', 'bus'], startTimeoutMs: 5000 }),
      },
    });
    const r = await open();
    await r.until('the status', () => r.named('status').length === 1);
    expect(sidecar(r.named('status')[0]!)).toMatchObject({ status: 'ready', restarts: 0 });

    const killed = Date.now();
    process.kill(sidecarPid(), 'SIGKILL');
    await r.until('the sidecar dead', () => r.named('status').some((e) => sidecar(e)?.status === 'dead'), 2_000);
    const dead = Date.now();
    await r.until('the sidecar ready again', () => sidecar(r.named('status').at(-1)!)?.status === 'ready', 3_000);
    expect(sidecar(r.named('status').at(-1)!)).toMatchObject({ restarts: 1, routes: expect.arrayContaining([expect.stringMatching(/^GET \/parity\/go\//)]) });
    expect(dead - killed).toBeLessThan(2_000);
    expect(Date.now() - dead).toBeLessThan(3_000);
  });
});
