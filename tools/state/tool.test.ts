import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CallContext } from '../../kernel/index.ts';
import { testTools, type TestTools } from '../../kernel/testing.ts';
import MemoryState from './tool.ts';

let t: TestTools | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await t?.close();
  t = undefined;
});

describe('state tool (through the proxy)', () => {
  it('sets, gets, replaces and deletes a value', async () => {
    t = await testTools();
    const { state } = t.tools;
    expect(await state.get({ key: 'count' })).toEqual({ found: false, value: null });
    await state.set({ key: 'count', value: 1n });
    expect(await state.get({ key: 'count' })).toEqual({ found: true, value: 1n });
    await state.set({ key: 'count', value: { n: 2n, tags: ['a', 'b'], raw: null } });
    expect(await state.get({ key: 'count' })).toEqual({ found: true, value: { n: 2n, tags: ['a', 'b'], raw: null } });
    expect(await state.delete({ key: 'count' })).toEqual({ deleted: true });
    expect(await state.get({ key: 'count' })).toEqual({ found: false, value: null });
    expect(await state.delete({ key: 'count' })).toEqual({ deleted: false });
  });

  it('keeps an int64 past 2^53 exact', async () => {
    t = await testTools();
    await t.tools.state.set({ key: 'big', value: 9007199254740993n });
    expect((await t.tools.state.get({ key: 'big' })).value).toBe(9007199254740993n);
  });

  it('expires a value after its ttl (real time)', async () => {
    t = await testTools();
    await t.tools.state.set({ key: 'short', value: 'x', ttlMs: 30 });
    await t.tools.state.set({ key: 'forever', value: 'y' });
    expect(await t.tools.state.get({ key: 'short' })).toEqual({ found: true, value: 'x' });
    await new Promise((r) => setTimeout(r, 60));
    expect(await t.tools.state.get({ key: 'short' })).toEqual({ found: false, value: null });
    expect(await t.tools.state.get({ key: 'forever' })).toEqual({ found: true, value: 'y' });
  });
});

describe('state tool (the class itself)', () => {
  const a: CallContext = { caller: 'shop/cart', traceId: '0'.repeat(32) };
  const b: CallContext = { caller: 'users/create-user', traceId: '0'.repeat(32) };

  it("namespaces keys by caller: one caller never sees or deletes another's key", () => {
    const state = new MemoryState();
    state.setup();
    try {
      state.set({ key: 'count', value: 1n, ttlMs: 0n }, a);
      expect(state.get({ key: 'count' }, b)).toEqual({ found: false, value: null });
      state.set({ key: 'count', value: 2n, ttlMs: 0n }, b);
      expect(state.get({ key: 'count' }, a)).toEqual({ found: true, value: 1n });
      expect(state.get({ key: 'count' }, b)).toEqual({ found: true, value: 2n });
      expect(state.delete({ key: 'count' }, b)).toEqual({ deleted: true });
      expect(state.get({ key: 'count' }, a)).toEqual({ found: true, value: 1n });
    } finally {
      state.shutdown();
    }
  });

  it('expires at exactly the ttl, by Date.now (fake timers)', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const state = new MemoryState();
    state.setup();
    try {
      state.set({ key: 'k', value: 'v', ttlMs: 1000n }, a);
      vi.setSystemTime(1_000_999);
      expect(state.get({ key: 'k' }, a)).toEqual({ found: true, value: 'v' });
      vi.setSystemTime(1_001_000);
      expect(state.get({ key: 'k' }, a)).toEqual({ found: false, value: null });
    } finally {
      state.shutdown();
    }
  });

  it('says an expired key the sweep has not reached was not deleted (as the PostgreSQL store does), and refuses a key past 1024 bytes', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const state = new MemoryState();
    state.setup();
    try {
      state.set({ key: 'k', value: 'v', ttlMs: 1000n }, a);
      vi.setSystemTime(1_001_000);
      expect(state.delete({ key: 'k' }, a)).toEqual({ deleted: false });
      state.set({ key: 'forever', value: 'v', ttlMs: 0n }, a);
      expect(state.delete({ key: 'forever' }, a)).toEqual({ deleted: true });
      expect(() => state.get({ key: 'k'.repeat(1025) }, a)).toThrow(expect.objectContaining({ code: 'MC_ERR_INVALID_ARGUMENT' }));
    } finally {
      state.shutdown();
    }
  });

  it('drops expired entries in the once-a-minute sweep, without a read', () => {
    vi.useFakeTimers({ now: 0 });
    const state = new MemoryState();
    state.setup();
    try {
      state.set({ key: 'k', value: 'v', ttlMs: 10n }, a);
      state.set({ key: 'kept', value: 'v', ttlMs: 0n }, a);
      vi.advanceTimersByTime(60_000);
      // The sweep removed it: delete finds nothing to remove.
      expect(state.delete({ key: 'k' }, a)).toEqual({ deleted: false });
      expect(state.delete({ key: 'kept' }, a)).toEqual({ deleted: true });
    } finally {
      state.shutdown();
    }
  });
});
