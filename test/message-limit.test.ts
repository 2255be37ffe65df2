// Issue 7, item 10: one message size limit (MC_MESSAGE_LIMIT_BYTES, default
// 8 MiB) on every layer a message crosses — grpc-js, grpc-go, around Extism —
// both ways, tool results included, with one error. Before, a db result over
// 4 MiB failed in the Go sidecar alone (grpc-go's default), RESOURCE_EXHAUSTED
// with a hint to "fix the handler", while Rust and wasm carried 8 MiB.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootParityApp, type ExampleApp } from './project.ts';

const CROSSING = ['go', 'rust', 'gowasm', 'rustsc'] as const;
let app: ExampleApp;
let url: string;

beforeAll(async () => {
  app = await bootParityApp({ HTTP_EXPOSE_ERRORS: 'true' });
  url = app.url;
});

afterAll(() => app?.stop());

async function blob(hosting: string, kib: number) {
  const res = await fetch(`${url}/parity/${hosting}/blob/${kib}`);
  return { status: res.status, body: (await res.json()) as { bytes?: number; error?: { code: string; message: string; details: Record<string, string> } } };
}

it('carries a 6 MiB tool result into every hosting (the Go sidecar stopped at 4 MiB)', async () => {
  for (const hosting of ['ts', ...CROSSING]) {
    const res = await blob(hosting, 6 * 1024);
    expect([res.status, res.body.bytes], `${hosting}: ${JSON.stringify(res.body).slice(0, 300)}`).toEqual([200, 6 * 1024 * 1024]);
  }
});

it('refuses a 9 MiB tool result alike in every hosting it would cross into, naming the limit', async () => {
  for (const hosting of CROSSING) {
    const res = await blob(hosting, 9 * 1024);
    expect(res.status, hosting).toBe(500);
    expect(res.body.error, hosting).toMatchObject({ code: 'MC_ERR_MESSAGE_TOO_LARGE', details: { limit: String(8 * 1024 * 1024) } });
    expect(res.body.error!.message, hosting).toContain('MC_MESSAGE_LIMIT_BYTES');
  }
  // In the kernel's own process nothing crosses: a native plugin is not limited.
  expect((await blob('ts', 9 * 1024)).status).toBe(200);
});

it('refuses an answer past the limit from a sidecar and a wasm module alike', async () => {
  // 3 MiB comes in as a tool result and goes back twice (6 MiB): it fits; 5 MiB
  // comes in, but 10 MiB cannot go back.
  for (const hosting of CROSSING) {
    const fits = await fetch(`${url}/parity/${hosting}/blob/${3 * 1024}?echo=2`);
    expect(fits.status, hosting).toBe(200);
    const over = await fetch(`${url}/parity/${hosting}/blob/${5 * 1024}?echo=2`);
    const body = (await over.json()) as { error: { code: string } };
    expect([over.status, body.error.code], hosting).toEqual([500, 'MC_ERR_MESSAGE_TOO_LARGE']);
  }
});
