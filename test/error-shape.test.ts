// Issue 10: the same error in every language. A TS mcError, a Go Errorf and a
// Rust Error::new reach the client in one shape — "<code>: <what>. <fix>", the
// plugin's details unchanged — and a plugin's own fix replaces the catalogue's.
// The example app's real plugins: users (TS), inventory (Go sidecar),
// catalog-search (Rust wasm) and its TS twin.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ERRORS } from '../kernel/index.ts';
import { bootExampleApp, type ExampleApp } from './project.ts';

let app: ExampleApp;
beforeAll(async () => {
  app = await bootExampleApp();
}, 120_000);
afterAll(() => app?.stop());

async function errorOf(method: string, path: string, body?: unknown): Promise<{ status: number; error: { code: string; message: string; details: Record<string, string> } }> {
  const res = await fetch(app.url + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, error: ((await res.json()) as { error: never }).error };
}

it('answers a not-found from TS and from Go in the same shape, the catalogue fix appended to both', async () => {
  const fix = ERRORS.MC_ERR_NOT_FOUND.fix;
  expect(await errorOf('GET', '/users/987654')).toEqual({ status: 404, error: { code: 'MC_ERR_NOT_FOUND', message: `MC_ERR_NOT_FOUND: no user with id 987654. ${fix}`, details: { id: '987654' } } });
  expect(await errorOf('GET', '/inventory/NO-SUCH-SKU')).toEqual({ status: 404, error: { code: 'MC_ERR_NOT_FOUND', message: `MC_ERR_NOT_FOUND: no product with sku 'NO-SUCH-SKU'. ${fix}`, details: { sku: 'NO-SUCH-SKU' } } });
});

it("shows a plugin's own fix instead of the catalogue's, from TS and from Rust alike", async () => {
  const fix = 'Send ?q=<text to find>, and &limit=<1 to 100> to get other than 20 results.';
  const rust = await errorOf('GET', '/catalog/search?q=lamp&limit=0');
  const ts = await errorOf('GET', '/catalog/search-ts?q=lamp&limit=0');
  for (const [who, answer] of [['rust', rust], ['ts', ts]] as const) {
    expect(answer.status, who).toBe(422);
    expect(answer.error.code, who).toBe('MC_ERR_HTTP_VALIDATION');
    expect(answer.error.message, who).toMatch(/^MC_ERR_HTTP_VALIDATION: \S+ GET \/catalog\/search(-ts)?: query parameter limit must be a whole number from 1 to 100 \(received '0'\)\. /);
    expect(answer.error.message.endsWith(`. ${fix}`), `${who}: ${answer.error.message}`).toBe(true);
    expect(answer.error.message, who).not.toContain(ERRORS.MC_ERR_HTTP_VALIDATION.fix);
  }
});
