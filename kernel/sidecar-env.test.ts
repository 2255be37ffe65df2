import { describe, expect, it } from 'vitest';
import { sidecarEnv } from './sidecar-env.ts';

describe('sidecarEnv', () => {
  const processEnv = { PATH: '/bin', HOME: '/home/k', LANG: 'C.UTF-8', DATABASE_URL: 'postgres://secret', AWS_SECRET_ACCESS_KEY: 'x' };

  it('keeps what a program needs to run, passes named settings, and leaves the rest out', () => {
    const { env, unset } = sidecarEnv({ env: { MODE: 'fast' }, passEnv: ['API_KEY', 'MISSING'] }, { API_KEY: 'k1', DATABASE_URL: 'postgres://secret' }, processEnv, { MICROCORE_IDENTITY: 'sidecar/x' });
    expect(env).toEqual({ PATH: '/bin', HOME: '/home/k', LANG: 'C.UTF-8', API_KEY: 'k1', MODE: 'fast', MICROCORE_IDENTITY: 'sidecar/x' });
    expect(unset).toEqual(['MISSING']);
  });

  it('lets the manifest env override passed values, and nothing override the handshake', () => {
    const { env } = sidecarEnv({ env: { API_KEY: 'fixed', MICROCORE_IDENTITY: 'forged' }, passEnv: ['API_KEY'] }, { API_KEY: 'k1' }, {}, { MICROCORE_IDENTITY: 'sidecar/x' });
    expect(env).toEqual({ API_KEY: 'fixed', MICROCORE_IDENTITY: 'sidecar/x' });
  });
});
