// ToolCaller: the path of every tool call. A fake 'state' slot whose methods the
// test controls; real CallMetrics and Registry.
import { beforeEach, describe, expect, it } from 'vitest';
import { CONTRACT } from './contract.ts';
import { McError, mcError } from './errors.ts';
import { CallMetrics } from './metrics.ts';
import { Registry } from './registry.ts';
import { ToolCaller, type ToolSlot } from './tool-call.ts';
import { newTrace, runInTrace } from './trace.ts';

const get = CONTRACT.state.methods.find((m) => m.localName === 'get')!;
const set = CONTRACT.state.methods.find((m) => m.localName === 'set')!;

let metrics: CallMetrics;
let registry: Registry;
let caller: ToolCaller;
let behaviour: () => unknown;
let calls: { method: string; input: unknown; caller: string; traceId: string }[];
let slot: ToolSlot;

beforeEach(() => {
  metrics = new CallMetrics();
  registry = new Registry();
  registry.add({ kind: 'tool', name: 'state', source: 'tools/fake', status: 'ready', needs: [] });
  caller = new ToolCaller(metrics, registry);
  behaviour = () => ({ found: true, value: 'v' });
  calls = [];
  const method = (name: string) => (input: unknown, call: { caller: string; traceId: string }) => {
    calls.push({ method: name, input, ...call });
    return behaviour();
  };
  slot = { name: 'state', methods: { get: method('get'), set: method('set'), delete: method('delete') } };
});

const callGet = (who = 'shop/cart') => caller.call(who, slot, get, { key: 'k' });
const status = () => registry.get('tool', 'state')!.status;
const settle = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as McError);

describe('ToolCaller calls and metrics', () => {
  it('passes the input and the call context, and returns the output complete, in plain form', async () => {
    const out = await callGet();
    expect(out).toEqual({ found: true, value: 'v' });
    expect(calls).toEqual([{ method: 'get', input: { key: 'k' }, caller: 'shop/cart', traceId: '' }]); // outside any trace: no trace is invented
  });

  it('records caller, tool, method, ok, ms and trace id for each call, newest first', async () => {
    await callGet('a/one');
    behaviour = () => ({});
    await caller.call('b/two', slot, set, { key: 'k', value: null, ttlMs: 0n });
    const [second, first] = metrics.recent();
    expect(first).toMatchObject({ caller: 'a/one', tool: 'state', method: 'get', ok: true, code: undefined });
    expect(second).toMatchObject({ caller: 'b/two', tool: 'state', method: 'set', ok: true });
    for (const r of [first!, second!]) {
      expect(r.ms).toBeGreaterThanOrEqual(0);
      expect(r.traceId).toBe(calls.find((c) => c.caller === r.caller)!.traceId);
      expect(Math.abs(r.at - Date.now())).toBeLessThan(5_000);
    }
  });

  it('records the trace id set with runInTrace', async () => {
    const trace = newTrace();
    await runInTrace(trace, () => callGet());
    expect(metrics.recent()[0]!.traceId).toBe(trace.traceId);
    expect(calls[0]!.traceId).toBe(trace.traceId);
  });

  it('counts calls and errors in the totals, with the error code in the record', async () => {
    await callGet();
    behaviour = () => {
      throw mcError('MC_ERR_NOT_FOUND', 'no such key');
    };
    await settle(callGet());
    await settle(callGet());
    behaviour = () => ({ found: false });
    await callGet();
    expect(metrics.totals()).toEqual([{ caller: 'shop/cart', tool: 'state', method: 'get', count: 4, errors: 2, totalMs: expect.any(Number), maxMs: expect.any(Number) }]);
    expect(metrics.recent().map((r) => [r.ok, r.code])).toEqual([
      [true, undefined],
      [false, 'MC_ERR_NOT_FOUND'],
      [false, 'MC_ERR_NOT_FOUND'],
      [true, undefined],
    ]);
  });

  it('passes an McError unchanged and wraps anything else as MC_ERR_INTERNAL naming the call', async () => {
    const business = mcError('MC_ERR_NOT_FOUND', 'no such key');
    behaviour = () => {
      throw business;
    };
    expect(await settle(callGet())).toBe(business);
    behaviour = () => Promise.reject(new Error('socket closed'));
    const err = await settle(callGet());
    expect(err).toBeInstanceOf(McError);
    expect(err!.code).toBe('MC_ERR_INTERNAL');
    expect(err!.message).toContain('state.get called by shop/cart: socket closed');
  });
});

describe('ToolCaller tool health', () => {
  const crash = () => {
    throw new Error('driver crashed');
  };

  it('marks the tool dead after five consecutive internal failures, and ready again on a success', async () => {
    behaviour = crash;
    for (let i = 0; i < 4; i++) await settle(callGet());
    expect(status()).toBe('ready');
    await settle(callGet());
    expect(registry.get('tool', 'state')).toMatchObject({ status: 'dead', code: 'MC_ERR_INTERNAL' });
    expect(registry.get('tool', 'state')!.reason).toContain('driver crashed');
    // A dead tool still gets calls; one success brings it back.
    behaviour = () => ({ found: true, value: 'back' });
    expect(await callGet()).toMatchObject({ found: true });
    expect(registry.get('tool', 'state')).toMatchObject({ status: 'ready', reason: undefined, code: undefined });
  });

  it('resets the streak on a success: four failures, a success, four failures stay ready', async () => {
    behaviour = crash;
    for (let i = 0; i < 4; i++) await settle(callGet());
    behaviour = () => ({});
    await callGet();
    behaviour = crash;
    for (let i = 0; i < 4; i++) await settle(callGet());
    expect(status()).toBe('ready');
  });

  it('never marks the tool dead for business errors', async () => {
    behaviour = () => {
      throw mcError('MC_ERR_NOT_FOUND', 'no such key');
    };
    for (let i = 0; i < 12; i++) await settle(callGet());
    behaviour = () => {
      throw mcError('MC_ERR_CONFLICT', 'taken');
    };
    for (let i = 0; i < 6; i++) await settle(callGet());
    expect(status()).toBe('ready');
    expect(metrics.totals()[0]).toMatchObject({ count: 18, errors: 18 });
  });

  it('marks the tool dead at once when it reports MC_ERR_TOOL_UNAVAILABLE', async () => {
    behaviour = () => {
      throw mcError('MC_ERR_TOOL_UNAVAILABLE', 'the db tool is not open');
    };
    await settle(callGet());
    expect(registry.get('tool', 'state')).toMatchObject({ status: 'dead', code: 'MC_ERR_TOOL_UNAVAILABLE' });
  });

  it("fails calls to a tool whose status is 'failed' with MC_ERR_TOOL_UNAVAILABLE, without calling it", async () => {
    registry.set('tool', 'state', { status: 'failed', reason: 'setup broke', code: 'MC_ERR_TOOL_SETUP' });
    const err = await settle(callGet('shop/cart'));
    expect(err).toBeInstanceOf(McError);
    expect(err!.code).toBe('MC_ERR_TOOL_UNAVAILABLE');
    expect(err!.message).toContain("shop/cart called state.get, but tool 'state' is failed");
    expect(err!.details).toEqual({ tool: 'state' });
    expect(calls).toEqual([]);
    expect(metrics.recent()[0]).toMatchObject({ ok: false, code: 'MC_ERR_TOOL_UNAVAILABLE' });
    // It stays failed: only a dead tool recovers by a success.
    expect(status()).toBe('failed');
  });

  it('fails calls to a tool the registry does not know', async () => {
    const err = await settle(caller.call('shop/cart', { ...slot, name: 'ghost' }, get, { key: 'k' }));
    expect(err!.code).toBe('MC_ERR_TOOL_UNAVAILABLE');
    expect(err!.message).toContain("tool 'ghost' is not loaded");
    expect(calls).toEqual([]);
  });
});

describe('ToolCaller.asTool: a tool calling another (ToolContext.call)', () => {
  it('calls as tool/<name>, the input completed against the contract, counted and traced like any call', async () => {
    const call = caller.asTool('tool/scheduler', new Map([['state', slot]]));
    const trace = newTrace();
    const out = await runInTrace(trace, () => call('state', 'get', { key: 'k' }));
    expect(out).toEqual({ found: true, value: 'v' });
    expect(calls).toEqual([{ method: 'get', input: { key: 'k' }, caller: 'tool/scheduler', traceId: trace.traceId }]);
    expect(metrics.recent()[0]).toMatchObject({ caller: 'tool/scheduler', tool: 'state', method: 'get', ok: true, traceId: trace.traceId });
    // Set's input completed as a plugin's would be: the missing fields at their defaults.
    behaviour = () => ({});
    await call('state', 'set', { key: 'k' });
    expect(calls[1]!.input).toEqual({ key: 'k', value: null, ttlMs: 0n });
  });

  it('refuses an input the contract does not take, a method it does not have and a tool not loaded', async () => {
    const call = caller.asTool('tool/scheduler', new Map([['state', slot]]));
    expect((await settle(call('state', 'get', { key: 7 })))?.code).toBe('MC_ERR_INVALID_ARGUMENT');
    const unknown = await settle(call('state', 'nope', {}));
    expect(unknown?.code).toBe('MC_ERR_TOOL_UNAVAILABLE');
    expect(unknown?.message).toContain('tool/scheduler called state.nope, but the contract has no such method');
    expect((await settle(call('db', 'query', { sql: 'SELECT 1' })))?.message).toContain("tool/scheduler called db.query, but tool 'db' is not loaded");
    expect(calls).toEqual([]);
  });
});
