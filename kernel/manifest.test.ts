import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSidecarManifest } from './manifest.ts';

const root = mkdtempSync(join(tmpdir(), 'mc-manifest-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function read(fields: Record<string, unknown>) {
  mkdirSync(join(root, 'sidecars/x'), { recursive: true });
  writeFileSync(join(root, 'sidecars/x/sidecar.json'), JSON.stringify({ name: 'x', command: 'bin/x', ...fields }));
  return readSidecarManifest(root, 'sidecars/x/sidecar.json', 'x');
}

describe('sidecar.json passEnv', () => {
  it('defaults to none', () => {
    expect(read({}).passEnv).toEqual([]);
  });

  it('takes variable names', () => {
    expect(read({ passEnv: ['DATABASE_URL', '_X1'] }).passEnv).toEqual(['DATABASE_URL', '_X1']);
  });

  it.each([[['A=B']], [['1X']], [['MICROCORE_TOKEN']], ['DATABASE_URL'], [[7]]])('refuses %j, naming the field', (passEnv) => {
    expect(() => read({ passEnv })).toThrow(expect.objectContaining({ code: 'MC_ERR_MANIFEST_INVALID', message: expect.stringContaining("'passEnv'") }));
  });
});
