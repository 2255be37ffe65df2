import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { McError, mcError, type Tools } from '../../../kernel/index.ts';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import { GetUserPlugin } from './get-user.ts';

let t: TestTools;
beforeEach(async () => {
  t = await testTools({ migrations: ['domains/users/migrations'] });
});
afterEach(async () => {
  await t.close();
});

async function insert(name: string, email: string): Promise<void> {
  await t.tools.db.execute({ sql: 'INSERT INTO users (name, email) VALUES (?, ?)', params: [name, email] });
}

describe('GetUserPlugin', () => {
  it('registers GET /users/:id answering 200, without a body schema', async () => {
    await new GetUserPlugin(t.tools).onBoot();
    const route = t.routes.get('GET', '/users/:id')!;
    expect(route).toMatchObject({ method: 'GET', path: '/users/:id', owner: 'test/plugin', successStatus: 200, summary: 'Get a user' });
    expect(route.bodySchema).toBeUndefined();
    expect(route.responseSchema).toMatchObject({ required: ['id', 'name', 'email', 'created_at'] });
    // The id is a positive integer: judged before the handler runs, handed over as a bigint.
    expect(route.paramsSchema).toEqual({ type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] });
  });

  it('returns the user with the id in the path', async () => {
    await new GetUserPlugin(t.tools).onBoot();
    await insert('Ann', 'ann@x.io');
    await insert('Bob', 'bob@x.io');
    const user = (await t.request('GET', '/users/:id', { params: { id: '2' } })) as Record<string, unknown>;
    expect(user).toMatchObject({ id: 2n, name: 'Bob', email: 'bob@x.io' });
    expect(typeof user.created_at).toBe('string');
  });

  it('throws MC_ERR_NOT_FOUND, naming the id, when there is no such user', async () => {
    await new GetUserPlugin(t.tools).onBoot();
    await insert('Ann', 'ann@x.io');
    const err = await t.request('GET', '/users/:id', { params: { id: '99' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McError);
    expect((err as McError).code).toBe('MC_ERR_NOT_FOUND');
    expect((err as McError).details).toEqual({ id: '99' });
    expect((err as McError).message).toContain('no user with id 99');
  });

  it('records its db call in the metrics, under its identity', async () => {
    await new GetUserPlugin(t.tools).onBoot();
    await insert('Ann', 'ann@x.io');
    await t.request('GET', '/users/:id', { params: { id: '1' } });
    const last = t.metrics.recent()[0]!;
    expect(last).toMatchObject({ caller: 'test/plugin', tool: 'db', method: 'queryOne', ok: true });
    expect(t.metrics.recent().filter((r) => r.tool === 'db').map((r) => r.method)).toEqual(['queryOne', 'execute']);
  });

  it('lets a db failure propagate unchanged', async () => {
    const failure = mcError('MC_ERR_DB_QUERY', 'disk on fire');
    const db = { query: () => Promise.reject(failure), queryOne: () => Promise.reject(failure), execute: () => Promise.reject(failure), transaction: () => Promise.reject(failure), describeSchema: () => Promise.reject(failure) };
    await new GetUserPlugin({ ...t.tools, db } as Tools).onBoot();
    await expect(t.request('GET', '/users/:id', { params: { id: '1' } })).rejects.toBe(failure);
  });
});
