import { describe, expect, it } from 'vitest';
import { ErrorCodeSchema } from '../proto/gen/microcore/v1/error_pb.js';
import { ERRORS, ERROR_CODES, McError, mcError, pluginError, toMcError } from './errors.ts';

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

describe('pluginError: what a sidecar or wasm handler returned, in mcError shape', () => {
  const wire = (o: Partial<{ code: string; message: string; details: Record<string, string>; fix: string }>) => ({ code: '', message: '', details: {}, fix: '', ...o });

  it('prefixes the code and appends the catalogue fix, details unchanged', () => {
    const e = pluginError('sidecar/shop', wire({ code: 'MC_ERR_NOT_FOUND', message: 'no product with sku X.', details: { sku: 'X' } }));
    expect(e).toBeInstanceOf(McError);
    expect(e.message).toBe(`MC_ERR_NOT_FOUND: no product with sku X. ${ERRORS.MC_ERR_NOT_FOUND.fix}`);
    expect(e.message).toBe(mcError('MC_ERR_NOT_FOUND', 'no product with sku X', { sku: 'X' }).message);
    expect(e.details).toEqual({ sku: 'X' });
    expect(e.httpStatus).toBe(404);
  });

  it("uses the plugin's own fix in place of the catalogue's", () => {
    expect(pluginError('wasm/w', wire({ code: 'MC_ERR_INVALID_ARGUMENT', message: 'limit is 0', fix: 'Ask for 1 to 50.' })).message).toBe('MC_ERR_INVALID_ARGUMENT: limit is 0. Ask for 1 to 50.');
  });

  it('leaves a kernel error the handler passed on as it is, and an unknown code without a fix', () => {
    const passed = mcError('MC_ERR_DB_BUSY', 'db.execute: database is locked');
    expect(pluginError('sidecar/s', wire({ code: passed.code, message: passed.message })).message).toBe(passed.message);
    expect(pluginError('sidecar/s', wire({ code: 'MC_ERR_SHOP_CLOSED', message: 'closed on Sundays' })).message).toBe('MC_ERR_SHOP_CLOSED: closed on Sundays.');
  });

  it('names the plugin when it failed without a message', () => {
    const e = pluginError('sidecar/s', wire({ code: 'MC_ERR_NOT_FOUND' }));
    expect(e.code).toBe('MC_ERR_HANDLER_FAILED');
    expect(e.message).toContain('sidecar/s failed without a message');
  });
});
