import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mcError, type Tools } from '../../../kernel/index.ts';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import { ListUsersPlugin } from './list-users.ts';

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

describe('ListUsersPlugin', () => {
  it('registers GET /users answering 200, without a body schema', async () => {
    await new ListUsersPlugin(t.tools).onBoot();
    const route = t.routes.get('GET', '/users')!;
    expect(route).toMatchObject({ method: 'GET', path: '/users', owner: 'test/plugin', successStatus: 200, summary: 'List users' });
    expect(route.bodySchema).toBeUndefined();
    expect(route.responseSchema).toMatchObject({ type: 'object', properties: { users: { type: 'array' } } });
  });

  it('answers an empty list when there are no users', async () => {
    await new ListUsersPlugin(t.tools).onBoot();
    expect(await t.request('GET', '/users')).toEqual({ users: [] });
  });

  it('lists every user, oldest first, with every column', async () => {
    await new ListUsersPlugin(t.tools).onBoot();
    await insert('Ann', 'ann@x.io');
    await insert('Bob', 'bob@x.io');
    await insert('Cy', 'cy@x.io');
    const { users } = (await t.request('GET', '/users')) as { users: Record<string, unknown>[] };
    expect(users.map((u) => [u.id, u.name, u.email])).toEqual([
      [1n, 'Ann', 'ann@x.io'],
      [2n, 'Bob', 'bob@x.io'],
      [3n, 'Cy', 'cy@x.io'],
    ]);
    expect(Object.keys(users[0]!)).toEqual(['id', 'name', 'email', 'created_at']);
  });

  it('records its db call in the metrics, under its identity', async () => {
    await new ListUsersPlugin(t.tools).onBoot();
    await t.request('GET', '/users');
    const dbCalls = t.metrics.recent().filter((r) => r.tool === 'db');
    expect(dbCalls).toHaveLength(1);
    expect(dbCalls[0]).toMatchObject({ caller: 'test/plugin', tool: 'db', method: 'query', ok: true });
  });

  it('lets a db failure propagate unchanged', async () => {
    const failure = mcError('MC_ERR_DB_QUERY', 'disk on fire');
    const db = { query: () => Promise.reject(failure), queryOne: () => Promise.reject(failure), execute: () => Promise.reject(failure), transaction: () => Promise.reject(failure), describeSchema: () => Promise.reject(failure) };
    await new ListUsersPlugin({ ...t.tools, db } as Tools).onBoot();
    await expect(t.request('GET', '/users')).rejects.toBe(failure);
  });
});
