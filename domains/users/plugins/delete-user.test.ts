import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { McError, mcError, type Tools } from '../../../kernel/index.ts';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import { DeleteUserPlugin } from './delete-user.ts';

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

async function storedIds(): Promise<unknown[]> {
  return (await t.tools.db.query({ sql: 'SELECT id FROM users ORDER BY id' })).rows.map((r) => r.id);
}

describe('DeleteUserPlugin', () => {
  it('registers DELETE /users/:id answering 200, without a body schema', async () => {
    await new DeleteUserPlugin(t.tools).onBoot();
    const route = t.routes.get('DELETE', '/users/:id')!;
    expect(route).toMatchObject({ method: 'DELETE', path: '/users/:id', owner: 'test/plugin', successStatus: 200, summary: 'Delete a user' });
    expect(route.bodySchema).toBeUndefined();
  });

  it('removes that user only, answering its id', async () => {
    await new DeleteUserPlugin(t.tools).onBoot();
    await insert('Ann', 'ann@x.io');
    await insert('Bob', 'bob@x.io');
    expect(await t.request('DELETE', '/users/:id', { params: { id: '1' } })).toEqual({ deleted: 1n });
    expect(await storedIds()).toEqual([2n]);
  });

  it('throws MC_ERR_NOT_FOUND when there is no such user, including a second delete', async () => {
    await new DeleteUserPlugin(t.tools).onBoot();
    await insert('Ann', 'ann@x.io');
    await t.request('DELETE', '/users/:id', { params: { id: '1' } });
    const err = await t.request('DELETE', '/users/:id', { params: { id: '1' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McError);
    expect((err as McError).code).toBe('MC_ERR_NOT_FOUND');
    expect((err as McError).details).toEqual({ id: '1' });
    expect(await storedIds()).toEqual([]);
  });

  it('records its db call in the metrics, under its identity', async () => {
    await new DeleteUserPlugin(t.tools).onBoot();
    await insert('Ann', 'ann@x.io');
    const before = t.metrics.recent().length;
    await t.request('DELETE', '/users/:id', { params: { id: '1' } });
    const calls = t.metrics.recent().slice(0, t.metrics.recent().length - before);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ caller: 'test/plugin', tool: 'db', method: 'execute', ok: true });
  });

  it('lets a db failure propagate unchanged', async () => {
    const failure = mcError('MC_ERR_DB_QUERY', 'disk on fire');
    const db = { query: () => Promise.reject(failure), queryOne: () => Promise.reject(failure), execute: () => Promise.reject(failure), transaction: () => Promise.reject(failure), describeSchema: () => Promise.reject(failure) };
    await new DeleteUserPlugin({ ...t.tools, db } as Tools).onBoot();
    await expect(t.request('DELETE', '/users/:id', { params: { id: '1' } })).rejects.toBe(failure);
  });
});
