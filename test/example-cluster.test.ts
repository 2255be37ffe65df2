// The example app on the cluster drivers, served by three kernels of one
// process sharing NATS JetStream and PostgreSQL (test/services.ts): the scenario
// of test/example-scenario.ts, each call to the next kernel in turn, answers
// exactly as one kernel on SQLite and the in-process bus does. Every kernel runs
// the whole app (its sidecars and wasm module too), so each event reaches one
// member of its group in whichever kernel, and a request may be answered by a
// sidecar of another kernel.
import { afterEach, describe, expect, it } from 'vitest';
import { scenario } from './example-scenario.ts';
import { bootExampleApp, type ExampleApp } from './project.ts';
import { natsPrefix, postgresDatabase, servicesFromEnv } from './services.ts';

const apps: ExampleApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.stop()));
});

describe('the example app on three kernels', () => {
  it('answers the same scenario as one kernel on the in-process drivers, value for value', async () => {
    apps.push(await bootExampleApp());
    const alone = await scenario(apps);
    await apps.pop()!.stop();

    const env = { DATABASE_URL: await postgresDatabase(), BUS_DRIVER: 'nats', NATS_URL: servicesFromEnv().natsUrl, NATS_PREFIX: natsPrefix() };
    for (const id of ['k1', 'k2', 'k3']) apps.push(await bootExampleApp({ ...env, KERNEL_ID: id }));
    for (const app of apps) {
      expect(app.report.filter((i) => i.kind === 'tool').map((i) => `${i.name}:${i.source}`)).toEqual(expect.arrayContaining(['bus:tools/bus-nats', 'db:tools/db-postgres', 'state:tools/state-postgres']));
    }
    const status = (await (await fetch(`${apps[1]!.url}/system/status`)).json()) as { kernel: string; members: { id: string }[] };
    expect(status.kernel).toBe('k2');
    expect(status.members.map((m) => m.id)).toEqual(['k1', 'k2', 'k3']);

    const together = await scenario(apps);
    expect(alone).toMatchObject({ createAda: { status: 201 }, order1: { status: 201 }, cancel: { status: 200 }, recommendations: { status: 200, body: { recommendations: [{ sku: 'gadget' }] } } });
    expect(together).toEqual(alone);
  });
});
