// One contract, five hostings: the real kernel with the repository's example
// app and the parity fixtures (test/fixtures/parity): a native domain, the real
// Go sidecar process (sidecars/parity-go), the real Rust wasm module
// (wasm-plugins/parity-rust), the same Go source built as a wasm module
// (wasm-plugins/parity-gowasm) and the same Rust source built as a sidecar
// process (sidecars/parity-rustsc), built by scripts/setup.sh. Each twin's
// parity endpoints make the same tool calls. A single tool call compared across
// hostings (values round trips, Db.Execute's answer, a unique violation, writes
// read back by SQLite) is a case of the conformance matrix (test/conformance):
// one mechanism, not two. This file keeps what spans calls and plugins:
// capability denial of an undeclared tool, traces, metrics, OpenAPI, bus pairs,
// broadcasts, publish order, wasm reentrancy.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel } from '../kernel/index.ts';
import { bootParityApp, type ExampleApp } from './project.ts';

const HOSTINGS = [
  { name: 'ts', identity: 'parity/values' },
  { name: 'go', identity: 'sidecar/parity-go' },
  { name: 'rust', identity: 'wasm/parity-rust' },
  { name: 'gowasm', identity: 'wasm/parity-gowasm' },
  { name: 'rustsc', identity: 'sidecar/parity-rustsc' },
] as const;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

let app: ExampleApp;
let kernel: Kernel;
let url: string;
let dbPath: string;

beforeAll(async () => {
  app = await bootParityApp({ HTTP_EXPOSE_ERRORS: 'true' });
  ({ kernel, url, dbPath } = app);
});

afterAll(async () => {
  await app?.stop();
});

async function call(method: string, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(url + path, { method, headers });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe('one contract, five hostings', () => {
  // Compared across hostings in the conformance matrix (test/conformance/cases), not here:
  // values written and read back exactly (db.Execute "inserts a row of edge values",
  // db.Query's int64/unicode/bytes/null cases, http.AddEndpoint's exact int64 bodies),
  // Db.Execute's changes and lastInsertId (db.Execute), a unique violation's code and
  // details (db.Execute), bad SQL and a rolled-back transaction (db.Query, db.Transaction),
  // each hosting's writes read back from the one database (every case's `rows`).

  it('denies an undeclared tool with the same capability error (sidecar and wasm; native cannot reach it at all)', async () => {
    for (const h of HOSTINGS.filter((x) => x.name !== 'ts')) {
      const res = await call('GET', `/parity/${h.name}/denied`);
      expect(res.status, `${h.name}: ${res.text}`).toBe(403);
      const { error } = JSON.parse(res.text);
      expect(error.code, h.name).toBe('MC_ERR_CAP_DENIED');
      expect(error.message, h.name).toContain(`${h.identity} called state.Get but did not declare 'state' (needs: http, db, logger, bus)`);
    }
  });

  it('carries the HTTP request trace id into each hosting tool calls, under its own identity', async () => {
    for (const h of HOSTINGS) {
      const res = await call('POST', `/parity/${h.name}/values`, { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` });
      expect(res.status, h.name).toBe(200);
      const calls = kernel.metrics.recent().filter((r) => r.traceId === TRACE_ID && r.caller === h.identity);
      expect(calls.map((c) => `${c.tool}.${c.method}`).sort(), h.name).toEqual(['db.transaction', 'logger.log']);
      expect(calls.every((c) => c.ok)).toBe(true);
    }
  });

  it('keeps per-plugin metrics for every hosting, errors counted', async () => {
    for (const h of HOSTINGS) expect((await call('POST', `/parity/${h.name}/tx-fail`)).status, h.name).toBe(500);
    const totals = kernel.metrics.totals();
    for (const h of HOSTINGS) {
      const tx = totals.find((t) => t.caller === h.identity && t.tool === 'db' && t.method === 'transaction');
      expect(tx, h.name).toBeDefined();
      expect(tx!.count, h.name).toBeGreaterThanOrEqual(2); // the traced /values call above and tx-fail;
      expect(tx!.errors, h.name).toBeGreaterThanOrEqual(1);
    }
  });

  it('lists every hosting endpoints in the OpenAPI document, with their owners', async () => {
    const doc = JSON.parse((await call('GET', '/docs/json')).text) as { paths: Record<string, { post?: { 'x-microcore-owner': string } }> };
    for (const h of HOSTINGS) {
      expect(doc.paths[`/parity/${h.name}/values`]?.post?.['x-microcore-owner'], h.name).toBe(h.identity);
    }
  });

  it('sends bus requests across every pair of hostings with exact values', async () => {
    for (const from of HOSTINGS) {
      for (const to of HOSTINGS) {
        // A wasm module answering its own request cannot: the next test.
        if (from.name === to.name && from.identity.startsWith('wasm/')) continue;
        const res = await call('POST', `/parity/${from.name}/request/${to.name}`);
        expect(res.status, `${from.name} → ${to.name}: ${res.text}`).toBe(200);
        expect(res.text, `${from.name} → ${to.name}`).toContain('"big":9007199254740993');
        expect(JSON.parse(res.text), `${from.name} → ${to.name}`).toEqual({ big: 9007199254740992, blob: 'AP8QgA==', absent: null, text: 'héllo wörld ✓ 日本語 🚀', from: from.name });
      }
    }
  });

  it('fails fast when a wasm module requests a topic it answers itself', async () => {
    for (const name of ['rust', 'gowasm']) {
      const started = Date.now();
      const res = await call('POST', `/parity/${name}/request/${name}`);
      expect(Date.now() - started, name).toBeLessThan(1000);
      expect(JSON.parse(res.text).error.code, name).toBe('MC_ERR_WASM_REENTRANT');
    }
  });

  it('issue 5: hands 20 unkeyed publishes in a row to every hosting in publish order', async () => {
    // bus.proto: a subscription gets its events one at a time, in publish order. Each
    // twin's broadcast handler records event:<source>; a distinct publisher per event
    // makes each row name its event.
    const bus = kernel.getTool('bus') as { publish(input: object, call: object): { id: string }; idle(): Promise<void> };
    const order = Array.from({ length: 20 }, (_, n) => `order-test/e${String(n).padStart(2, '0')}`);
    for (const caller of order) bus.publish({ topic: 'parity.broadcast', payload: { from: caller }, key: '' }, { caller, traceId: TRACE_ID });
    await bus.idle();
    const db = new Database(dbPath, { readonly: true });
    const rows = db.prepare("SELECT hosting, text FROM parity_items WHERE text LIKE 'event:order-test/%' ORDER BY id").all() as { hosting: string; text: string }[];
    db.close();
    for (const h of HOSTINGS) expect(rows.filter((r) => r.hosting === h.name).map((r) => r.text.slice('event:'.length)), h.name).toEqual(order);
  });

  it('delivers one broadcast to every hosting, and traces it under the request that published it', async () => {
    for (const [i, from] of HOSTINGS.entries()) {
      const traceId = String(i + 1).repeat(32);
      const res = await call('POST', `/parity/${from.name}/publish`, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
      expect(res.status, `${from.name}: ${res.text}`).toBe(200);
      const { id } = JSON.parse(res.text);
      // The TS twin's bus calls live in their own file (one feature per file).
      const publisher = from.name === 'ts' ? 'parity/messaging' : from.identity;
      await (kernel.getTool('bus') as { idle(): Promise<void> }).idle();

      const db = new Database(dbPath, { readonly: true });
      const heard = db.prepare('SELECT hosting FROM parity_items WHERE text = ? ORDER BY hosting').all(`event:${publisher}`);
      db.close();
      expect(heard, from.name).toEqual([{ hosting: 'go' }, { hosting: 'gowasm' }, { hosting: 'rust' }, { hosting: 'rustsc' }, { hosting: 'ts' }]);

      const nodes = kernel.tracer.list(traceId);
      const event = nodes.find((n) => n.id === id)!;
      expect(event, from.name).toMatchObject({ kind: 'event', name: 'parity.broadcast', source: publisher, traceId });
      expect(nodes.find((n) => n.id === event.parentId), from.name).toMatchObject({ kind: 'http', name: `POST /parity/${from.name}/publish`, source: publisher });
      expect(event.reactions.map((r) => r.identity).sort()).toEqual(['parity/messaging', 'sidecar/parity-go', 'sidecar/parity-rustsc', 'wasm/parity-gowasm', 'wasm/parity-rust']);
      expect(event.reactions.every((r) => r.ok)).toBe(true);
      const executes = kernel.metrics.recent().filter((c) => c.eventId === id && c.method === 'execute').map((c) => c.caller).sort();
      expect(executes, from.name).toEqual(['parity/messaging', 'sidecar/parity-go', 'sidecar/parity-rustsc', 'wasm/parity-gowasm', 'wasm/parity-rust']);
    }
  });
});
