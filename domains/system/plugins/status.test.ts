import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONTRACT_NAMES } from '../../../kernel/index.ts';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import { bootWithSystem } from '../../../test/sse.ts';
import { SystemStatusPlugin } from './status.ts';

describe('GET /system/status', () => {
  let t: TestTools;
  beforeEach(async () => {
    t = await testTools({ identity: 'system/status' });
    await new SystemStatusPlugin(t.tools).onBoot();
  });
  afterEach(() => t.close());

  it('lists the tools with their status, separately from plugins', async () => {
    const body = (await t.request('GET', '/system/status')) as { tools: { name: string; status: string; kind: string }[]; plugins: unknown[] };
    // Every contract tool, catalog tools added with `microcore add` included.
    expect(body.tools.map((i) => i.name)).toEqual([...CONTRACT_NAMES].sort());
    expect(body.tools.map((i) => i.name)).toEqual(expect.arrayContaining(['bus', 'config', 'db', 'http', 'logger', 'state', 'system']));
    expect(body.tools.every((i) => i.status === 'ready' && i.kind === 'tool')).toBe(true);
    expect(body.plugins).toEqual([]);
  });

  it('says which kernel answered; on SQLite the cluster is that kernel alone', async () => {
    const body = (await t.request('GET', '/system/status')) as { kernel: string; members: { id: string; pid: bigint; seenAtUnixMs: bigint }[] };
    expect(body.kernel).toBe('test-kernel');
    expect(body.members.map((m) => [m.id, m.pid])).toEqual([['test-kernel', BigInt(process.pid)]]);
    expect(Number(body.members[0]!.seenAtUnixMs)).toBeGreaterThan(Date.now() - 5_000);
  });
});

describe('GET /system/status, the plugin graph', () => {
  it('lists each plugin’s routes, subscriptions, answered requests and published topics', async () => {
    const project = await bootWithSystem();
    try {
      await fetch(`${project.url}/t/burst?n=1`, { method: 'POST' });
      await fetch(`${project.url}/t/ask`, { method: 'POST' });
      const body = (await (await fetch(`${project.url}/system/status`)).json()) as { plugins: { name: string }[] };
      expect(body.plugins.find((p) => p.name === 't/probe')).toMatchObject({
        routes: ['GET /t/ping', 'POST /t/ask', 'POST /t/burst', 'POST /t/log'],
        subscribes: ['t.asked'],
        answers: ['t.asked'],
        publishes: ['t.asked', 't.burst'],
        restarts: 0,
        language: 'typescript',
      });
      expect(body.plugins.find((p) => p.name === 'system/traces-stream')).toMatchObject({ routes: ['GET /system/traces/stream'], subscribes: [], answers: [], publishes: [] });
    } finally {
      await project.stop();
    }
  });
});
