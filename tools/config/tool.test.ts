import { afterEach, describe, expect, it } from 'vitest';
import { McError } from '../../kernel/index.ts';
import { testTools, type TestTools } from '../../kernel/testing.ts';

let t: TestTools | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('config tool', () => {
  it('get answers a set key, the default for an unset key, and found=false without a default', async () => {
    t = await testTools({ env: { API_URL: 'https://api.example', EMPTY: '' } });
    expect(await t.tools.config.get({ key: 'API_URL' })).toEqual({ found: true, value: 'https://api.example' });
    expect(await t.tools.config.get({ key: 'API_URL', defaultValue: 'ignored' })).toEqual({ found: true, value: 'https://api.example' });
    expect(await t.tools.config.get({ key: 'MISSING', defaultValue: 'fallback' })).toEqual({ found: true, value: 'fallback' });
    expect(await t.tools.config.get({ key: 'MISSING', defaultValue: '' })).toEqual({ found: true, value: '' });
    expect(await t.tools.config.get({ key: 'MISSING' })).toEqual({ found: false, value: '' });
    expect(await t.tools.config.get({ key: 'EMPTY' })).toEqual({ found: true, value: '' });
  });

  it('require answers the values in the order asked', async () => {
    t = await testTools({ env: { A: '1', B: 'two' } });
    expect(await t.tools.config.require({ keys: ['B', 'A'] })).toEqual({ values: ['two', '1'] });
  });

  it('require names every missing or empty key in one MC_ERR_CONFIG_MISSING error', async () => {
    t = await testTools({ env: { PRESENT: 'yes', BLANK: '' } });
    const err = await t.tools.config.require({ keys: ['PRESENT', 'SECRET_KEY', 'BLANK', 'SMTP_HOST'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(McError);
    expect((err as McError).code).toBe('MC_ERR_CONFIG_MISSING');
    expect((err as McError).details).toEqual({ keys: 'SECRET_KEY,BLANK,SMTP_HOST' });
    expect((err as McError).message).toContain('test/plugin requires SECRET_KEY, BLANK, SMTP_HOST, which are not set');
    expect((err as McError).message).not.toContain('PRESENT');
  });

  it('require says "is" for a single missing key', async () => {
    t = await testTools();
    await expect(t.tools.config.require({ keys: ['ONLY_ONE'] })).rejects.toThrow('requires ONLY_ONE, which is not set');
  });
});
