import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runInTrace } from '../../../kernel/index.ts';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import { SystemTracesPlugin, type TreeNode } from './traces.ts';

describe('GET /system/traces', () => {
  let t: TestTools;
  beforeEach(async () => {
    t = await testTools({ identity: 'system/traces' });
    await new SystemTracesPlugin(t.tools).onBoot();
  });
  afterEach(() => t.close());

  it('nests each event under its cause, with reactions and tool calls, and filters by trace', async () => {
    await t.tools.bus.subscribe({
      topic: 'a.happened',
      handler: async () => {
        await t.tools.db.query({ sql: 'SELECT 1' });
        await t.tools.bus.publish({ topic: 'b.happened' });
        return null;
      },
    });
    await t.tools.bus.subscribe({ topic: 'b.happened', handler: () => null });
    const traceId = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    await runInTrace({ traceId, spanId: 'bbbbbbbbbbbbbbbb' }, () => t.tools.bus.publish({ topic: 'a.happened', payload: { n: 1n } }));
    await t.tools.bus.publish({ topic: 'unrelated' });
    await t.settle();

    const { roots } = (await t.request('GET', '/system/traces', { query: { trace: traceId } })) as { roots: TreeNode[] };
    expect(roots).toHaveLength(1);
    const [a] = roots;
    expect(a).toMatchObject({ kind: 'event', name: 'a.happened', traceId, source: 'system/traces', payloadKeys: ['n'] });
    expect(a!.reactions).toEqual([expect.objectContaining({ identity: 'system/traces', ok: true, attempts: 1 })]);
    expect(a!.calls.map((c) => `${c.tool}.${c.method}`).sort()).toEqual(['bus.publish', 'db.query']);
    expect(a!.children.map((c) => c.name)).toEqual(['b.happened']);
    expect(a!.children[0]!.parentId).toBe(a!.id);

    const flat = (await t.request('GET', '/system/traces/flat')) as { nodes: { name: string }[] };
    expect(flat.nodes.map((n) => n.name).sort()).toEqual(['a.happened', 'b.happened', 'unrelated']);
  });
});
