import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { McError, mcError, type Tools } from '../../../kernel/index.ts';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import { UpdateUserPlugin } from './update-user.ts';

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

async function stored(): Promise<unknown[]> {
  return (await t.tools.db.query({ sql: 'SELECT id, name, email FROM users ORDER BY id' })).rows;
}

describe('UpdateUserPlugin', () => {
  it('registers PUT /users/:id answering 200, with a body schema needing at least one known field', async () => {
    await new UpdateUserPlugin(t.tools).onBoot();
    const route = t.routes.get('PUT', '/users/:id')!;
    expect(route).toMatchObject({ method: 'PUT', path: '/users/:id', owner: 'test/plugin', successStatus: 200, summary: 'Update a user' });
    expect(route.bodySchema).toMatchObject({ type: 'object', minProperties: 1, additionalProperties: false });
    expect(Object.keys((route.bodySchema as { properties: object }).properties)).toEqual(['name', 'email']);
  });

  it('changes only the fields given, and returns the updated row', async () => {
    await new UpdateUserPlugin(t.tools).onBoot();
    await insert('Ann', 'ann@x.io');
    await insert('Bob', 'bob@x.io');
    const renamed = await t.request('PUT', '/users/:id', { params: { id: '1' }, body: { name: 'Anne' } });
    expect(renamed).toMatchObject({ id: 1n, name: 'Anne', email: 'ann@x.io' });
    const moved = await t.request('PUT', '/users/:id', { params: { id: '1' }, body: { email: 'anne@y.io' } });
    expect(moved).toMatchObject({ id: 1n, name: 'Anne', email: 'anne@y.io' });
    expect(await stored()).toEqual([
      { id: 1n, name: 'Anne', email: 'anne@y.io' },
      { id: 2n, name: 'Bob', email: 'bob@x.io' },
    ]);
  });

  it('throws MC_ERR_NOT_FOUND when there is no such user, changing nothing', async () => {
    await new UpdateUserPlugin(t.tools).onBoot();
    await insert('Ann', 'ann@x.io');
    const err = await t.request('PUT', '/users/:id', { params: { id: '7' }, body: { name: 'Ghost' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McError);
    expect((err as McError).code).toBe('MC_ERR_NOT_FOUND');
    expect((err as McError).details).toEqual({ id: '7' });
    expect(await stored()).toEqual([{ id: 1n, name: 'Ann', email: 'ann@x.io' }]);
  });

  it("refuses another user's email with MC_ERR_DB_UNIQUE, changing nothing", async () => {
    await new UpdateUserPlugin(t.tools).onBoot();
    await insert('Ann', 'ann@x.io');
    await insert('Bob', 'bob@x.io');
    const err = await t.request('PUT', '/users/:id', { params: { id: '2' }, body: { name: 'Robert', email: 'ann@x.io' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McError);
    expect((err as McError).code).toBe('MC_ERR_DB_UNIQUE');
    expect(await stored()).toEqual([
      { id: 1n, name: 'Ann', email: 'ann@x.io' },
      { id: 2n, name: 'Bob', email: 'bob@x.io' },
    ]);
  });

  it('records its db call in the metrics, under its identity', async () => {
    await new UpdateUserPlugin(t.tools).onBoot();
    await insert('Ann', 'ann@x.io');
    await t.request('PUT', '/users/:id', { params: { id: '1' }, body: { name: 'Anne' } });
    expect(t.metrics.recent()[0]).toMatchObject({ caller: 'test/plugin', tool: 'db', method: 'query', ok: true });
  });

  it('lets a db failure propagate unchanged', async () => {
    const failure = mcError('MC_ERR_DB_QUERY', 'disk on fire');
    const db = { query: () => Promise.reject(failure), queryOne: () => Promise.reject(failure), execute: () => Promise.reject(failure), transaction: () => Promise.reject(failure), describeSchema: () => Promise.reject(failure) };
    await new UpdateUserPlugin({ ...t.tools, db } as Tools).onBoot();
    await expect(t.request('PUT', '/users/:id', { params: { id: '1' }, body: { name: 'Anne' } })).rejects.toBe(failure);
  });
});
