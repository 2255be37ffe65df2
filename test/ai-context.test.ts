// AI_CONTEXT.md: written at boot from the live kernel; deterministic for a given
// tree, so the committed file must be exactly what the example app generates.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootExampleApp, bootProject, plugin, REPO } from './project.ts';

let generated: string;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'mc-context-'));
  const app = await bootExampleApp({ AI_CONTEXT_PATH: join(dataDir, 'AI_CONTEXT.md') });
  await app.stop();
  generated = readFileSync(join(dataDir, 'AI_CONTEXT.md'), 'utf8');
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('AI_CONTEXT.md for the example app', () => {
  it('is committed exactly as the kernel generates it (run `node cli/main.ts context` after changing a plugin)', () => {
    expect(readFileSync(join(REPO, 'AI_CONTEXT.md'), 'utf8')).toBe(generated);
  });

  it('documents each tool method with the contract comments', () => {
    expect(generated).toContain('- `db.transaction({ statements: Statement[] })` → `{ results: StatementResult[] }` — Runs statements in order inside one transaction');
    expect(generated).toContain('- `http.addEndpoint({ method: string, path: string, handler: function,');
    expect(generated).toMatch(/### context — ready\n\nKernel-facing/);
  });

  it('describes every plugin of every hosting: file, needs, endpoints, topics', () => {
    expect(generated).toMatch(/### orders\/create-order\n\n- native · `domains\/orders\/plugins\/create-order.ts` · ready\n- needs: http, db, bus\n- endpoints:\n {2}- `POST \/orders` → 201 — Place an order\n {4}- body: `\{"type":"object","properties":\{"sku":\{"type":"string","minLength":1\},.*\}`\n- declares topics \(every publish, request and reply is checked\):\n {2}- `order.created` — [^\n]*\n {4}- payload: `\{"type":"object",[^\n]*`\n- publishes: `order.created`\n- requests: `inventory.check`/);
    expect(generated).toMatch(/### sidecar\/inventory\n\n- sidecar · `sidecars\/inventory\/sidecar.json` · ready\n- needs: http, db, logger, bus\n- endpoints:\n {2}- `GET \/inventory\/:sku` [^\n]*\n {2}- `PUT \/inventory\/:sku` [^\n]*\n {4}- body: `[^\n]*`\n- subscribes: `inventory.check` — answers requests; `order.cancelled`; `order.created`/);
    // A sidecar endpoint with a query, its parameter shape (Rust).
    expect(generated).toContain(
      '  - `GET /catalog/:sku/recommendations` — Customers who bought this also bought: the top ?limit= (default 5, at most 50)\n' +
        '    - query: `{"type":"object","properties":{"limit":{"type":"integer","minimum":1,"maximum":50,"default":5,"description":"How many recommendations."}}}`',
    );
    // A bus request topic with its payload and reply shapes, declared by a Go sidecar.
    expect(generated).toContain(
      '  - `inventory.check` — Is there stock for {sku, quantity}? Answers {available, stock}.\n' +
        '    - payload: `{"type":"object","properties":{"sku":{"type":"string","minLength":1},"quantity":{"type":"integer","minimum":1}},"required":["sku","quantity"],"additionalProperties":false}`\n' +
        '    - reply: `{"type":"object","properties":{"available":{"type":"boolean"},"stock":{"type":"integer"}},"required":["available","stock"],"additionalProperties":false}`',
    );
    expect(generated).toContain('| sidecar/inventory | `inventory` | sku TEXT, stock INTEGER | `sidecars/inventory/migrations/001_inventory.sql` |');
    expect(generated).toMatch(/### wasm\/catalog-search\n\n- wasm · `wasm-plugins\/catalog-search\/plugin.json` · ready\n- needs: http, db.*\n- endpoints:\n {2}- `GET \/catalog\/search`/);
    // Issue 10: a column added by ALTER TABLE (domains/orders 002) is listed too.
    expect(generated).toContain('| orders | `orders` | id INTEGER, sku TEXT, quantity INTEGER, email TEXT, created_at TEXT, status TEXT | `domains/orders/migrations/001_orders.sql` |');
    expect(generated).toContain('| orders | `outbox` | id INTEGER, order_id INTEGER, channel TEXT, recipient TEXT, body TEXT | `domains/orders/migrations/001_orders.sql` |');
  });

  // Issue 8: the parity plugins are test fixtures (test/fixtures/parity), not features.
  it('lists only the example app, no parity fixture', () => {
    expect(generated).not.toMatch(/parity/i);
  });

  it('has no timings and no machine paths', () => {
    expect(generated).not.toMatch(/\d+ ms\b/);
    expect(generated).not.toContain(REPO);
    expect(generated).not.toContain(dataDir);
  });
});

describe('AI_CONTEXT.md for a broken tree', () => {
  it('shows a plugin that failed, with its reason', async () => {
    const project = await bootProject(
      { 'domains/mail/plugins/send.ts': plugin(`export class SendPlugin { constructor({ mailer }) {} }`), 'tools/context/tool.ts': `export { default } from '${REPO}/tools/context/tool.ts';\n` },
      { env: { AI_CONTEXT_PATH: 'AI_CONTEXT.md' } },
    );
    try {
      const text = readFileSync(join(project.root, 'AI_CONTEXT.md'), 'utf8');
      expect(text).toContain("### mail/send\n\n- native · `domains/mail/plugins/send.ts` · **failed** — MC_ERR_PLUGIN_MISSING_TOOL: domains/mail/plugins/send.ts needs tool 'mailer'");
      expect(text).toContain('| mail/send | native | failed | MC_ERR_PLUGIN_MISSING_TOOL');
    } finally {
      await project.stop();
    }
  });
});
