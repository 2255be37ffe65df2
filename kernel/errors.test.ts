import { describe, expect, it } from 'vitest';
import { ErrorCodeSchema } from '../proto/gen/microcore/v1/error_pb.js';
import { ERRORS, ERROR_CODES, McError, mcError, toMcError } from './errors.ts';

describe('error registry', () => {
  it('holds exactly the codes of the proto ErrorCode enum', () => {
    const fromProto = ErrorCodeSchema.values.filter((v) => v.number !== 0).map((v) => v.name.replace(/^ERROR_CODE_/, 'MC_ERR_'));
    expect([...ERROR_CODES].sort()).toEqual(fromProto.sort());
    expect(Object.keys(ERRORS).sort()).toEqual([...ERROR_CODES].sort());
  });

  it('gives every code a fix and a plausible HTTP status', () => {
    for (const code of ERROR_CODES) {
      expect(ERRORS[code].fix.length, code).toBeGreaterThan(10);
      expect(ERRORS[code].http).toBeGreaterThanOrEqual(400);
    }
  });

  it('builds messages as code, what, fix', () => {
    const e = mcError('MC_ERR_CAP_DENIED', 'users/x called state.get.', { tool: 'state' });
    expect(e).toBeInstanceOf(McError);
    expect(e.code).toBe('MC_ERR_CAP_DENIED');
    expect(e.message).toBe(`MC_ERR_CAP_DENIED: users/x called state.get. ${ERRORS.MC_ERR_CAP_DENIED.fix}`);
    expect(e.httpStatus).toBe(403);
    expect(e.details).toEqual({ tool: 'state' });
  });

  it('wraps foreign errors keeping the cause, and passes McErrors through', () => {
    const cause = new TypeError('boom');
    const wrapped = toMcError(cause, 'MC_ERR_INTERNAL', 'db.query');
    expect(wrapped.code).toBe('MC_ERR_INTERNAL');
    expect(wrapped.message).toContain('db.query: boom');
    expect(wrapped.cause).toBe(cause);
    const own = mcError('MC_ERR_NOT_FOUND', 'x');
    expect(toMcError(own, 'MC_ERR_INTERNAL', 'y')).toBe(own);
  });
});

describe('docs/errors.md', () => {
  it('is what scripts/errors-doc.ts generates from the registry (run npm run gen)', async () => {
    const { readFileSync } = await import('node:fs');
    const { renderErrorsDoc } = await import('../scripts/errors-doc.ts');
    expect(readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')).toBe(renderErrorsDoc());
  });
});
