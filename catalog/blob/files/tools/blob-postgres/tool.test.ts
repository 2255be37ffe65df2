// The blob tool on a real PostgreSQL database (test/services.ts): the drivers'
// shared suite (tools/blob/store-suite.ts), one fresh database per store, then
// what only PostgreSQL has: one store for every kernel, the table's layout.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { ToolContext } from '../../kernel/index.ts';
import { silentLog } from '../../kernel/log.ts';
import { postgresDatabase } from '../../test/services.ts';
import { blobStoreSuite, call } from '../blob/store-suite.ts';
import PostgresBlob from './tool.ts';

const open: PostgresBlob[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.shutdown()));
});

async function store(env: Record<string, string> = {}, url?: string): Promise<PostgresBlob> {
  const s = new PostgresBlob();
  await s.setup({ env: { DATABASE_URL: url ?? (await postgresDatabase()), ...env }, log: silentLog() } as unknown as ToolContext);
  open.push(s);
  return s;
}

const bytes = (t: string) => new Uint8Array(Buffer.from(t));

describe('blob on PostgreSQL', () => {
  blobStoreSuite((env) => store(env));

  it('is chosen by a postgres DATABASE_URL only', () => {
    expect(PostgresBlob.enabled({ DATABASE_URL: 'postgres://u@h/db' })).toBe(true);
    expect(PostgresBlob.enabled({})).toBe(false);
  });

  it('is one store for every kernel on the database, and folder conflicts hold across them', async () => {
    const url = await postgresDatabase();
    const [one, two] = await Promise.all([store({}, url), store({}, url)]);
    await one.put({ key: 'shared/a', data: bytes('from one'), contentType: '' }, call);
    expect(Buffer.from((await two.get({ key: 'shared/a', offset: 0n, length: 0n }, call)).data).toString()).toBe('from one');
    // Two kernels racing a blob and a folder of the same name: exactly one wins.
    const results = await Promise.allSettled([one.put({ key: 'race', data: bytes('x'), contentType: '' }, call), two.put({ key: 'race/inner', data: bytes('y'), contentType: '' }, call)]);
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'MC_ERR_CONFLICT' } });
    expect(await two.delete({ key: 'shared/a' }, call)).toEqual({ deleted: true });
  });

  it('stores the bytes uncompressed out of line, so a range reads only its chunks', async () => {
    const url = await postgresDatabase();
    await store({}, url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT attstorage FROM pg_attribute WHERE attrelid = '_microcore_blobs'::regclass AND attname = 'data'");
      expect(rows[0].attstorage).toBe('e');
    } finally {
      await client.end();
    }
  });

  it('fails its setup naming the URL without its password', async () => {
    const s = new PostgresBlob();
    const err = await s.setup({ env: { DATABASE_URL: 'postgres://mc:secret@127.0.0.1:1/none' }, log: silentLog() } as unknown as ToolContext).then(() => undefined, (e: unknown) => e as Error & { code: string });
    expect(err?.code).toBe('MC_ERR_TOOL_SETUP');
    expect(err?.message).not.toContain('secret');
  });
});
