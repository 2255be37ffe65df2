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

    // One customer's two orders placed at the same moment on two kernels: each
    // co-purchase counted (the recommendations sidecar holds the customer's row
    // while it counts; without it both transactions counted before either's
    // purchase committed and the pair was lost now and then).
    const customers = ['c1', 'c2', 'c3', 'c4'].map((c) => `${c}@example.org`);
    const order = (app: ExampleApp, sku: string, email: string) => fetch(`${app.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sku, quantity: 1, email }) });
    const placed = await Promise.all(customers.flatMap((email) => [order(apps[0]!, 'widget', email), order(apps[1]!, 'gadget', email)]));
    expect(placed.map((r) => r.status)).toEqual(customers.flatMap(() => [201, 201]));
    const count = async () => {
      const body = (await (await fetch(`${apps[2]!.url}/catalog/widget/recommendations`)).json()) as { recommendations: { sku: string; count: number }[] };
      return body.recommendations.find((r) => r.sku === 'gadget')?.count;
    };
    // Ada's pair from the scenario, then one per customer, once every event is handled on whichever kernel.
    await expect.poll(count, { timeout: 15_000, interval: 200 }).toBe(1 + customers.length);
  });
});
