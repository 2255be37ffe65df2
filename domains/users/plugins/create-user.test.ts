import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { McError, mcError, type Tools } from '../../../kernel/index.ts';
import { testTools, type TestTools } from '../../../kernel/testing.ts';
import { CreateUserPlugin } from './create-user.ts';

let t: TestTools;
beforeEach(async () => {
  t = await testTools({ migrations: ['domains/users/migrations'] });
});
afterEach(async () => {
  await t.close();
});

describe('CreateUserPlugin', () => {
  it('registers POST /users answering 201, with a body schema requiring name and email', async () => {
    await new CreateUserPlugin(t.tools).onBoot();
    const route = t.routes.get('POST', '/users')!;
    expect(route).toMatchObject({ method: 'POST', path: '/users', owner: 'test/plugin', successStatus: 201, summary: 'Create a user' });
    expect(route.bodySchema).toMatchObject({ type: 'object', required: ['name', 'email'], additionalProperties: false });
    expect(Object.keys((route.bodySchema as { properties: object }).properties)).toEqual(['name', 'email']);
  });

  it('inserts the user and returns the stored row', async () => {
    await new CreateUserPlugin(t.tools).onBoot();
    const user = (await t.request('POST', '/users', { body: { name: 'Ann', email: 'ann@x.io' } })) as Record<string, unknown>;
    expect(user).toMatchObject({ id: 1n, name: 'Ann', email: 'ann@x.io' });
    expect(user.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const second = (await t.request('POST', '/users', { body: { name: 'Bob', email: 'bob@x.io' } })) as Record<string, unknown>;
    expect(second.id).toBe(2n);
    const { rows } = await t.tools.db.query({ sql: 'SELECT id, name, email FROM users ORDER BY id' });
    expect(rows).toEqual([
      { id: 1n, name: 'Ann', email: 'ann@x.io' },
      { id: 2n, name: 'Bob', email: 'bob@x.io' },
    ]);
  });

  it('refuses a taken email with MC_ERR_DB_UNIQUE and stores nothing more', async () => {
    await new CreateUserPlugin(t.tools).onBoot();
    await t.request('POST', '/users', { body: { name: 'Ann', email: 'ann@x.io' } });
    const err = await t.request('POST', '/users', { body: { name: 'Other Ann', email: 'ann@x.io' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McError);
    expect((err as McError).code).toBe('MC_ERR_DB_UNIQUE');
    expect((err as McError).httpStatus).toBe(409);
    const { rows } = await t.tools.db.query({ sql: 'SELECT count(*) AS n FROM users' });
    expect(rows[0]!.n).toBe(1n);
  });

  it('records its db calls in the metrics, under its identity', async () => {
    await new CreateUserPlugin(t.tools).onBoot();
    await t.request('POST', '/users', { body: { name: 'Ann', email: 'ann@x.io' } });
    const dbCalls = t.metrics.recent().filter((r) => r.tool === 'db');
    expect(dbCalls).toHaveLength(1);
    expect(dbCalls[0]).toMatchObject({ caller: 'test/plugin', tool: 'db', method: 'query', ok: true });
    expect(dbCalls[0]!.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('lets a db failure propagate unchanged', async () => {
    const failure = mcError('MC_ERR_DB_QUERY', 'disk on fire');
    const db = { query: () => Promise.reject(failure), queryOne: () => Promise.reject(failure), execute: () => Promise.reject(failure), transaction: () => Promise.reject(failure), describeSchema: () => Promise.reject(failure) };
    await new CreateUserPlugin({ ...t.tools, db } as Tools).onBoot();
    await expect(t.request('POST', '/users', { body: { name: 'Ann', email: 'ann@x.io' } })).rejects.toBe(failure);
  });
});
