// The test servers answer: PostgreSQL takes a fresh database per caller, nats-server has JetStream.
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { expect, it } from 'vitest';
import { postgresDatabase, servicesFromEnv } from './services.ts';

it('gives each caller its own PostgreSQL database', async () => {
  const [a, b] = await Promise.all([postgresDatabase(), postgresDatabase()]);
  expect(a).not.toBe(b);
  const client = new pg.Client({ connectionString: a });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT current_database() AS db, current_setting(\'server_version_num\')::int AS v');
    expect(`/${rows[0].db}`).toBe(new URL(a).pathname);
    expect(rows[0].v).toBeGreaterThanOrEqual(150000);
  } finally {
    await client.end();
  }
});

it('has a nats-server with JetStream', async () => {
  const nc = await connect({ servers: servicesFromEnv().natsUrl });
  try {
    const info = await (await jetstreamManager(nc)).getAccountInfo();
    expect(info.limits).toBeDefined();
  } finally {
    await nc.close();
  }
});
