// The state tool on a real PostgreSQL database (test/services.ts): the same
// contract as the in-memory tool, and one store for every kernel on the database.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CallContext, ToolContext } from '../../kernel/index.ts';
import { silentLog } from '../../kernel/log.ts';
import { postgresDatabase } from '../../test/services.ts';
import PostgresState from './tool.ts';

const a: CallContext = { caller: 'shop/cart', traceId: '0'.repeat(32) };
const b: CallContext = { caller: 'users/create-user', traceId: '0'.repeat(32) };

let url: string;
const open: PostgresState[] = [];
beforeAll(async () => {
  url = await postgresDatabase();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.shutdown()));
});

/** A state tool as a kernel sets it up: one per "kernel". */
async function kernelState(env: Record<string, string> = {}): Promise<PostgresState> {
  const state = new PostgresState();
  await state.setup({ env: { DATABASE_URL: url, ...env }, log: silentLog() } as unknown as ToolContext);
  open.push(state);
  return state;
}

describe('state on PostgreSQL', () => {
  it('is chosen by a postgres DATABASE_URL only', () => {
    expect(PostgresState.enabled({ DATABASE_URL: 'postgres://u@h/db' })).toBe(true);
    expect(PostgresState.enabled({ DATABASE_URL: 'postgresql://u@h/db' })).toBe(true);
    expect(PostgresState.enabled({})).toBe(false);
  });

  it('sets, gets, replaces and deletes, keeping values exact', async () => {
    const state = await kernelState();
    expect(await state.get({ key: 'count' }, a)).toEqual({ found: false, value: null });
    await state.set({ key: 'count', value: 9007199254740993n, ttlMs: 0n }, a);
    expect(await state.get({ key: 'count' }, a)).toEqual({ found: true, value: 9007199254740993n });
    const value = { n: -2n, r: 1.5, tags: ['a', 'b'], raw: null, bytes: new Uint8Array([0, 255]), ok: true };
    await state.set({ key: 'count', value, ttlMs: 0n }, a);
    expect(await state.get({ key: 'count' }, a)).toEqual({ found: true, value });
    expect(await state.delete({ key: 'count' }, a)).toEqual({ deleted: true });
    expect(await state.get({ key: 'count' }, a)).toEqual({ found: false, value: null });
    expect(await state.delete({ key: 'count' }, a)).toEqual({ deleted: false });
  });

  it("namespaces keys by caller: one caller never sees or deletes another's key", async () => {
    const state = await kernelState();
    await state.set({ key: 'k', value: 1n, ttlMs: 0n }, a);
    expect(await state.get({ key: 'k' }, b)).toEqual({ found: false, value: null });
    expect(await state.delete({ key: 'k' }, b)).toEqual({ deleted: false });
    expect(await state.get({ key: 'k' }, a)).toEqual({ found: true, value: 1n });
  });

  it('is one store for every kernel on the database', async () => {
    const [one, two] = await Promise.all([kernelState(), kernelState()]);
    await one.set({ key: 'shared', value: 'from one', ttlMs: 0n }, a);
    expect(await two.get({ key: 'shared' }, a)).toEqual({ found: true, value: 'from one' });
    expect(await two.delete({ key: 'shared' }, a)).toEqual({ deleted: true });
    expect(await one.get({ key: 'shared' }, a)).toEqual({ found: false, value: null });
  });

  it('expires a value after its ttl, and an expired key is not "deleted"', async () => {
    const state = await kernelState();
    await state.set({ key: 'short', value: 'x', ttlMs: 150n }, a);
    await state.set({ key: 'forever', value: 'y', ttlMs: 0n }, a);
    expect(await state.get({ key: 'short' }, a)).toEqual({ found: true, value: 'x' });
    await new Promise((r) => setTimeout(r, 250));
    expect(await state.get({ key: 'short' }, a)).toEqual({ found: false, value: null });
    expect(await state.get({ key: 'forever' }, a)).toEqual({ found: true, value: 'y' });
    expect(await state.delete({ key: 'short' }, a)).toEqual({ deleted: false });
  });

  it('sweeps expired rows without a read', async () => {
    const state = await kernelState({ STATE_SWEEP_MS: '50' });
    await state.set({ key: 'gone', value: 'x', ttlMs: 20n }, a);
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const count = async () => Number((await client.query("SELECT count(*) AS n FROM _microcore_state WHERE key = 'gone'")).rows[0].n);
      expect(await count()).toBe(1);
      await new Promise((r) => setTimeout(r, 300));
      expect(await count()).toBe(0);
    } finally {
      await client.end();
    }
  });

  it('refuses a key past 1024 bytes, as the in-memory store does', async () => {
    const state = await kernelState();
    const long = 'k'.repeat(1025);
    for (const call of [() => state.get({ key: long }, a), () => state.set({ key: long, value: 1n, ttlMs: 0n }, a), () => state.delete({ key: long }, a)]) {
      await expect(call()).rejects.toMatchObject({ code: 'MC_ERR_INVALID_ARGUMENT' });
    }
    await state.set({ key: 'k'.repeat(1024), value: 1n, ttlMs: 0n }, a);
    expect(await state.get({ key: 'k'.repeat(1024) }, a)).toEqual({ found: true, value: 1n });
  });

  it('answers a lost server with MC_ERR_TOOL_UNAVAILABLE naming DATABASE_URL, not a bare driver error', async () => {
    const state = await kernelState();
    const pg = (await import('pg')).default;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // The server ends every connection of this database (as a restart would).
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    } finally {
      await admin.end();
    }
    const err = await state.get({ key: 'x' }, a).then(() => undefined, (e: unknown) => e as Error & { code: string; details: Record<string, string> });
    // The pool may have opened a fresh connection already: then the call simply works.
    if (err) expect(err).toMatchObject({ code: 'MC_ERR_TOOL_UNAVAILABLE', details: { setting: 'DATABASE_URL' } });
    expect(await state.get({ key: 'x' }, a)).toEqual({ found: false, value: null });
  });

  it('fails its setup naming the URL without its password, and what to do', async () => {
    const state = new PostgresState();
    const err = await state.setup({ env: { DATABASE_URL: 'postgres://mc:secret@127.0.0.1:1/none' }, log: silentLog() } as unknown as ToolContext).then(() => undefined, (e: unknown) => e as Error & { code: string });
    expect(err?.code).toBe('MC_ERR_TOOL_SETUP');
    expect(err?.message).toContain('postgres://mc:***@127.0.0.1:1/none');
    expect(err?.message).not.toContain('secret');
  });
});
