import { describe, expect, it } from 'vitest';
import { McError, mcError } from '../../kernel/index.ts';
import type { Env } from '../bus/rules.ts';
import { decodeEnvelope, decodeError, decodeReply, encodeEnvelope, encodeError, encodeReply } from './codec.ts';

describe('what the NATS bus sends', () => {
  it('carries an envelope exactly: int64 as bigint, bytes as a plain Uint8Array even when NATS hands over a Buffer', () => {
    const env: Env = { id: 'e-1', topic: 'order.created', payload: { big: -9007199254740993n, bytes: new Uint8Array([0, 255]), list: [null, true, 1.5, 'é'] }, traceId: 'ab'.repeat(16), parentId: 'p', source: 'shop/orders', timeUnixMs: 1_700_000_000_000n, key: 'k', attempt: 1 };
    const back = decodeEnvelope(Buffer.from(encodeEnvelope(env)));
    expect(back).toEqual(env);
    const bytes = (back.payload as { bytes: Uint8Array }).bytes;
    expect(Buffer.isBuffer(bytes)).toBe(false);
    expect(decodeEnvelope(encodeEnvelope({ ...env, payload: null })).payload).toBeNull();
  });

  it('carries a reply, and an error with its code, message and details', () => {
    expect(decodeReply(Buffer.from(encodeReply({ total: 7n, blob: new Uint8Array([9]) })))).toEqual({ total: 7n, blob: new Uint8Array([9]) });
    const error = decodeError(encodeError(mcError('MC_ERR_NOT_FOUND', 'no item 7', { id: '7' })));
    expect(error).toBeInstanceOf(McError);
    expect(error).toMatchObject({ code: 'MC_ERR_NOT_FOUND', details: { id: '7' }, message: expect.stringMatching(/^MC_ERR_NOT_FOUND: no item 7\./) });
  });

  it('refuses a value the contract cannot carry, naming where', () => {
    expect(() => encodeReply({ at: new Date() } as never)).toThrow(/reply/);
  });
});
