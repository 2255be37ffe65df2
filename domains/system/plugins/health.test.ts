import { afterEach, describe, expect, it } from 'vitest';
import { isReply } from '../../../kernel/reply.ts';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import type { Tools } from '../../../kernel/index.ts';
import { HealthPlugin } from './health.ts';

const item = (kind: string, name: string, status: string, needs: string[] = []) => ({ kind, name, source: '', status, reason: status === 'dead' ? 'MC_ERR_INTERNAL: disk full' : '', code: '', ms: 0n, needs });

describe('GET /health', () => {
  let t: TestTools | undefined;
  afterEach(() => t?.close());

  it('is ready when every tool is up', async () => {
    t = await testTools({ identity: 'system/health' });
    const plugin = new HealthPlugin(t.tools);
    await plugin.onBoot();
    expect(await t.request('GET', '/health')).toEqual({ status: 'ready', down: [] });
  });

  it('answers 503 naming a dead tool that a plugin needs, and ignores one nobody needs', async () => {
    const system = { status: async () => ({ items: [item('tool', 'db', 'dead'), item('tool', 'state', 'failed'), item('native', 'users/x', 'ready', ['db'])] }) };
    const plugin = new HealthPlugin({ http: { addEndpoint: async () => ({}) }, system } as unknown as Tools);
    const answer = await plugin.execute();
    expect(isReply(answer)).toBe(true);
    expect(answer).toMatchObject({ status: 503, body: { status: 'unavailable', down: [{ tool: 'db', status: 'dead', reason: 'MC_ERR_INTERNAL: disk full' }] } });
  });
});
