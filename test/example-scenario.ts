// One scenario of the example app over real HTTP — users created, read and
// listed, a duplicate refused, orders placed and cancelled with the Go inventory
// sidecar reserving and releasing stock, the Rust recommendations sidecar
// counting co-purchases, the catalog searched by the TS plugin and the wasm
// module — whose answers must not depend on the drivers under it nor on how many
// kernels serve it (test/example-postgres.test.ts, test/example-cluster.test.ts).
// Only the clock differs between two runs: timestamps are checked for their
// format, then masked.
import { expect } from 'vitest';
import type { ExampleApp } from './project.ts';

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** `value` with every timestamp string replaced by '<time>', after checking it has SQLite's strftime format. */
function masked(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(masked);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k.endsWith('_at') || k.endsWith('At') ? timestamp(v) : masked(v)]));
  return value;
}

function timestamp(v: unknown): string {
  expect(v).toMatch(TIMESTAMP);
  return '<time>';
}

/**
 * Runs the scenario against the kernels given, each call to the next kernel in
 * turn, so with several a request and the events it causes cross kernels.
 */
export async function scenario(kernels: ExampleApp[]): Promise<Record<string, unknown>> {
  // Every kernel's deliveries, twice over: an event handled on one kernel may publish to another.
  const idle = async () => {
    for (let round = 0; round < 2; round++) for (const k of kernels) await (k.kernel.getTool('bus') as { idle(): Promise<void> }).idle();
  };
  let turn = 0;
  const call = async (method: string, path: string, body?: unknown) => {
    const a = kernels[turn++ % kernels.length]!;
    const res = await fetch(`${a.url}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: masked(await res.json()) };
  };
  const out: Record<string, unknown> = {};
  out.createAda = await call('POST', '/users', { name: 'Ada', email: 'ada@example.org' });
  out.createBob = await call('POST', '/users', { name: 'Bob', email: 'bob@example.org' });
  out.duplicate = ((await call('POST', '/users', { name: 'Ada again', email: 'ada@example.org' })) as { status: number; body: { error?: { code: string } } });
  out.duplicate = { status: (out.duplicate as { status: number }).status, code: (out.duplicate as { body: { error?: { code: string } } }).body.error?.code };
  out.getAda = await call('GET', '/users/1');
  out.missing = (await call('GET', '/users/99')).status;
  out.update = await call('PUT', '/users/2', { name: 'Robert' });
  out.list = await call('GET', '/users');
  out.order1 = await call('POST', '/orders', { sku: 'widget', quantity: 3, email: 'ada@example.org' });
  out.order2 = await call('POST', '/orders', { sku: 'gadget', quantity: 1, email: 'ADA@example.org' });
  await idle();
  out.stockAfterOrders = [await call('GET', '/inventory/widget'), await call('GET', '/inventory/gadget')];
  out.cancel = await call('POST', '/orders/1/cancel');
  await idle();
  out.stockAfterCancel = await call('GET', '/inventory/widget');
  out.cancelAgain = (await call('POST', '/orders/1/cancel')).status;
  out.recommendations = await call('GET', '/catalog/widget/recommendations');
  out.unknownSku = (await call('GET', '/catalog/no-such-sku/recommendations')).status;
  out.searchTs = await call('GET', '/catalog/search-ts?q=wireles%20hedphones&limit=5');
  out.searchWasm = await call('GET', '/catalog/search?q=muller%20kettle&limit=5');
  out.remove = (await call('DELETE', '/users/2')).status;
  out.listAfterRemove = await call('GET', '/users');
  return out;
}
