// One contract, five hostings: the real kernel with the repository's own
// domains, the real Go sidecar process (sidecars/parity-go), the real Rust wasm
// module (wasm-plugins/parity-rust), the same Go source built as a wasm module
// (wasm-plugins/parity-gowasm) and the same Rust source built as a sidecar
// process (sidecars/parity-rustsc), built by scripts/setup.sh. Each twin's
// parity endpoints make the same tool calls; the results must match. Single
// tool calls compared across hostings live in the conformance matrix
// (test/conformance); this file keeps what spans calls: endpoints, bus
// pairs, broadcasts, traces, OpenAPI.
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kernel } from '../kernel/index.ts';
import { REPO } from './project.ts';

const HOSTINGS = [
  { name: 'ts', identity: 'parity/values' },
  { name: 'go', identity: 'sidecar/parity-go' },
  { name: 'rust', identity: 'wasm/parity-rust' },
  { name: 'gowasm', identity: 'wasm/parity-gowasm' },
  { name: 'rustsc', identity: 'sidecar/parity-rustsc' },
] as const;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

let kernel: Kernel;
let url: string;
let dataDir: string;
let dbPath: string;

beforeAll(async () => {
  for (const built of ['sidecars/parity-go/bin/parity-go', 'wasm-plugins/parity-rust/parity_rust.wasm', 'wasm-plugins/parity-gowasm/parity_gowasm.wasm', 'sidecars/parity-rustsc/bin/parity-rustsc']) {
    if (!existsSync(join(REPO, built))) throw new Error(`${built} is not built: run bash scripts/setup.sh (it builds every sidecar and wasm module)`);
  }
  dataDir = mkdtempSync(join(tmpdir(), 'mc-parity-'));
  dbPath = join(dataDir, 'parity.db');
  kernel = new Kernel({ root: REPO, env: { ...process.env, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_PATH: dbPath, HTTP_EXPOSE_ERRORS: 'true', AI_CONTEXT_PATH: 'off' } });
  const report = await kernel.boot();
  const notReady = report.filter((i) => i.status !== 'ready');
  expect(notReady, JSON.stringify(notReady, null, 2)).toEqual([]);
  url = `http://127.0.0.1:${(kernel.getTool('http') as { port: number }).port}`;
});

afterAll(async () => {
  await kernel?.shutdown();
  rmSync(dataDir, { recursive: true, force: true });
});

async function call(method: string, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(url + path, { method, headers });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe('one contract, three hostings', () => {
  it('writes and reads an int64 past 2^53, bytes, null and unicode text identically, in one transaction', async () => {
    const bodies: Record<string, unknown> = {};
    for (const h of HOSTINGS) {
      const res = await call('POST', `/parity/${h.name}/values`);
      expect(res.status, `${h.name}: ${res.text}`).toBe(200);
      // The exact digits: a lossy double would print 9007199254740992.
      expect(res.text, h.name).toContain('"big":9007199254740993');
      const body = JSON.parse(res.text);
      expect(body, h.name).toEqual({ hosting: h.name, big: 9007199254740992, blob: 'AP8QgA==', absent: null, text: 'héllo wörld ✓ 日本語 🚀' });
      delete body.hosting;
      bodies[h.name] = body;
    }
    expect(bodies.go).toEqual(bodies.ts);
    expect(bodies.rust).toEqual(bodies.ts);
    expect(bodies.gowasm).toEqual(bodies.ts);
    expect(bodies.rustsc).toEqual(bodies.ts);

    // What each hosting stored, read back by SQLite itself, type by type.
    const db = new Database(dbPath, { readonly: true });
    db.defaultSafeIntegers(true);
    const rows = db.prepare("SELECT hosting, big, typeof(big) AS bigType, blob, typeof(blob) AS blobType, absent, typeof(absent) AS absentType, text FROM parity_items WHERE text != 'tx-fail' ORDER BY id").all() as Record<string, unknown>[];
    db.close();
    expect(rows.map((r) => r.hosting)).toEqual(['ts', 'go', 'rust', 'gowasm', 'rustsc']);
    for (const r of rows) {
      expect(r.big, String(r.hosting)).toBe(9007199254740993n);
      expect(r.bigType).toBe('integer');
      expect(new Uint8Array(r.blob as Buffer)).toEqual(new Uint8Array([0x00, 0xff, 0x10, 0x80]));
      expect(r.blobType).toBe('blob');
      expect(r.absent).toBe(null);
      expect(r.absentType).toBe('null');
      expect(r.text).toBe('héllo wörld ✓ 日本語 🚀');
    }
  });

  // Bad SQL and a rolled-back transaction, compared across hostings, are cases of the
  // conformance matrix now (test/conformance/cases/db.Query.json, db.Transaction.json):
  // one mechanism for "the same tool error in every hosting", not two.

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
      expect(tx!.count, h.name).toBeGreaterThanOrEqual(3);
      expect(tx!.errors, h.name).toBeGreaterThanOrEqual(1);
    }
  });

  it('reports what Db.Execute changed in the same shape: rows changed and the inserted rowid', async () => {
    const ids: number[] = [];
    for (const h of HOSTINGS) {
      const res = await call('POST', `/parity/${h.name}/execute`);
      expect(res.status, `${h.name}: ${res.text}`).toBe(200);
      const body = JSON.parse(res.text);
      expect(Object.keys(body).sort(), h.name).toEqual(['changes', 'lastInsertId']);
      expect(body.changes, h.name).toBe(1);
      ids.push(body.lastInsertId);
    }
    // Each insert got the next rowid, whoever made it.
    for (let i = 1; i < ids.length; i++) expect(ids[i], HOSTINGS[i]!.name).toBe(ids[i - 1]! + 1);
  });

  it('makes sidecar and wasm writes visible to the native plugins', async () => {
    const counts = await Promise.all(HOSTINGS.map(async (h) => JSON.parse((await call('GET', `/parity/${h.name}/count`)).text).n));
    expect(counts).toEqual(HOSTINGS.map(() => 3));
    const db = new Database(dbPath, { readonly: true });
    const byHosting = db.prepare('SELECT hosting, COUNT(*) AS n FROM parity_items GROUP BY hosting ORDER BY hosting').all();
    db.close();
    expect(byHosting).toEqual([{ hosting: 'go', n: 3 }, { hosting: 'gowasm', n: 3 }, { hosting: 'rust', n: 3 }, { hosting: 'rustsc', n: 3 }, { hosting: 'ts', n: 3 }]);
  });

  it('classifies a unique violation the same in every hosting: code, kind, table, columns', async () => {
    for (const h of HOSTINGS) {
      const res = await call('POST', `/parity/${h.name}/unique`);
      expect(res.status, `${h.name}: ${res.text}`).toBe(409);
      const { error } = JSON.parse(res.text);
      expect(error.code, h.name).toBe('MC_ERR_DB_UNIQUE');
      expect(error.details, h.name).toMatchObject({ kind: 'unique', table: 'parity_unique', columns: 'hosting' });
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
