// Regression for "sidecars inherit the kernel's whole environment": every
// secret the kernel held reached every plugin. A real sidecar process now
// starts with PATH, HOME, LANG and TZ, the MICROCORE_* handshake, its
// manifest's `env`, and the variables its manifest's `passEnv` names; nothing
// else of the kernel's (docs/manifests.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootProject, childPidsOf, PARITY_FIXTURES, type TestProject } from './project.ts';

const SIDECAR = join(PARITY_FIXTURES, 'sidecars/parity-go/bin/parity-go');
let project: TestProject;

beforeAll(async () => {
  process.env.MC_TEST_SECRET = 'kernel-only';
  process.env.MC_TEST_PASSED = 'passed-by-name';
  const manifest = {
    name: 'parity-go',
    command: SIDECAR,
    needs: ['http', 'db', 'logger', 'bus'],
    env: { MC_TEST_FROM_MANIFEST: 'set-in-manifest' },
    passEnv: ['MC_TEST_PASSED', 'MC_TEST_NOT_SET'],
  };
  // The kernel's settings are its process environment, as readEnv gives them by default.
  project = await bootProject({ 'sidecars/parity-go/sidecar.json': JSON.stringify(manifest) }, { env: { ...process.env } as Record<string, string> });
  expect(project.item('sidecar/parity-go')?.status, JSON.stringify(project.report)).toBe('ready');
});

afterAll(async () => {
  await project?.stop();
  delete process.env.MC_TEST_SECRET;
  delete process.env.MC_TEST_PASSED;
});

function environOf(pid: number): Record<string, string> {
  const pairs = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return Object.fromEntries(pairs.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

describe('a sidecar environment', () => {
  it("holds none of the kernel's variables but PATH, HOME, LANG, TZ and what the manifest names", () => {
    const [pid] = childPidsOf(SIDECAR);
    expect(pid, 'the sidecar process').toBeDefined();
    const env = environOf(pid!);
    expect(env.MC_TEST_SECRET).toBeUndefined();
    expect(env.MC_TEST_PASSED).toBe('passed-by-name');
    expect(env.MC_TEST_FROM_MANIFEST).toBe('set-in-manifest');
    expect('MC_TEST_NOT_SET' in env).toBe(false);
    expect(env.PATH).toBe(process.env.PATH);
    const allowed = new Set(['PATH', 'HOME', 'LANG', 'TZ', 'MC_TEST_PASSED', 'MC_TEST_FROM_MANIFEST']);
    expect(Object.keys(env).filter((k) => !allowed.has(k) && !k.startsWith('MICROCORE_')).sort()).toEqual([]);
    expect(Object.keys(env).filter((k) => k.startsWith('MICROCORE_')).sort()).toEqual([
      'MICROCORE_IDENTITY', 'MICROCORE_KERNEL_ADDRESS', 'MICROCORE_KERNEL_CERT', 'MICROCORE_MESSAGE_LIMIT', 'MICROCORE_PLUGIN_COOKIE', 'MICROCORE_PROTOCOL_VERSIONS', 'MICROCORE_SOCKET_DIR',
    ]);
  });
});
