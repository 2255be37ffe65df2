// The dashboard in a real browser (issue 13): `microcore start` with
// DASHBOARD=on serves the example app; headless Chromium (Debian's, driven by
// playwright-core) opens /dashboard; an order placed over HTTP shows up as its
// causal tree with the TypeScript step (orders/create-order) and the Go step
// (sidecar/inventory); a plugin's details open from the graph; the Go sidecar
// killed with SIGKILL is shown down within seconds, then up again once its
// supervisor restarted it. Screenshots go to .tools/artifacts/dashboard-*.png.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO } from './project.ts';

// Debian's chromium (scripts/setup.sh installs it); MC_TEST_CHROMIUM names another.
const CHROMIUM = process.env.MC_TEST_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = join(REPO, '.tools/artifacts');
const dataDir = mkdtempSync(join(tmpdir(), 'mc-dashboard-'));
let kernel: ChildProcess | undefined;
let browser: Browser | undefined;
let page: Page;
let url = '';
const output: string[] = [];

beforeAll(async () => {
  // Fail, never skip: a missing browser or bundle must not pass as green.
  if (!existsSync(CHROMIUM)) throw new Error(`test/dashboard.test.ts needs Chromium at ${CHROMIUM}, which is missing: run bash scripts/setup.sh (as root it apt-get installs chromium), or sudo apt-get install chromium, or set MC_TEST_CHROMIUM to a Chromium binary.`);
  if (!existsSync(join(REPO, 'dashboard/dist/index.html'))) throw new Error('the dashboard is not built (dashboard/dist/index.html is missing): run bash scripts/setup.sh, or node dashboard/build.ts.');
  mkdirSync(ARTIFACTS, { recursive: true });
  // Its own process group, so the test can end it with its sidecars.
  kernel = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(REPO, 'cli/main.ts'), 'start'], {
    cwd: REPO,
    detached: true,
    env: { ...process.env, DASHBOARD: 'on', HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'info', DATABASE_PATH: join(dataDir, 'app.db'), AI_CONTEXT_PATH: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  createInterface({ input: kernel.stderr! }).on('line', (line) => output.push(line));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within 60 s:\n${output.join('\n')}`)), 60_000);
    createInterface({ input: kernel!.stdout! }).on('line', (line) => {
      output.push(line);
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    kernel!.once('exit', (code) => reject(new Error(`microcore start exited ${code} before listening:\n${output.join('\n')}`)));
  });
  url = `http://127.0.0.1:${port}`;
  // CI runs as root, where Chromium's sandbox cannot start.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (kernel?.pid && kernel.exitCode === null) process.kill(-kernel.pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`) });
const post = (path: string, body: object, headers: Record<string, string> = {}) => fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const testId = (id: string) => `[data-testid="${id}"]`;

/** The inventory sidecar's pid: the kernel's child running sidecars/inventory/bin/inventory. */
function inventoryPid(): number {
  const children = readFileSync(`/proc/${kernel!.pid}/task/${kernel!.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  const ours = children.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('inventory/bin/inventory');
    } catch {
      return false;
    }
  });
  expect(ours).toHaveLength(1);
  return ours[0]!;
}

it("shows the health of every hosting, an order's causal tree across TS and Go, a plugin's details, and a killed sidecar down then up", async () => {
  const res = await page.goto(`${url}/dashboard`);
  expect(res?.status()).toBe(200);
  // Overview: every hosting's plugins, ready.
  for (const name of ['db', 'users/create-user', 'orders/create-order', 'sidecar/inventory', 'sidecar/recommendations', 'wasm/catalog-search']) {
    await page.waitForSelector(`${testId(`status-${name}`)}[data-status="ready"]`, { timeout: 10_000 });
  }
  await page.waitForSelector(testId('all-up'));
  expect(await page.textContent(testId('count-sidecar'))).toContain('2 / 2 ready');

  // An order over HTTP, in a trace of our own choosing.
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  expect((await post('/users', { name: 'Ada', email: 'ada@example.org' })).status).toBe(201);
  const order = await post('/orders', { sku: 'widget', quantity: 2, email: 'ada@example.org' }, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
  expect(order.status, await order.clone().text()).toBe(201);
  await page.waitForSelector(`${testId('flow-row')}`, { timeout: 5_000 });
  await page.click(testId('nav-traces'));
  await page.click(`${testId('trace-row')}[data-trace="${traceId}"]`, { timeout: 5_000 });
  const tree = `${testId('trace-tree')}[data-trace="${traceId}"]`;
  await page.waitForSelector(`${tree} ${testId('trace-node')}[data-kind="http"][data-name="POST /orders"][data-source="orders/create-order"]`, { timeout: 5_000 });
  // The TS steps (the orders plugins) and the Go step: the sidecar answered inventory.check and reserved stock on order.created.
  await page.waitForSelector(`${tree} ${testId('trace-node')}[data-name="order.created"] ${testId('trace-reaction')}[data-identity="orders/send-email"][data-hosting="native"][data-language="typescript"]`, { timeout: 5_000 });
  await page.waitForSelector(`${tree} ${testId('trace-node')}[data-name="inventory.check"] ${testId('trace-reaction')}[data-identity="sidecar/inventory"][data-hosting="sidecar"][data-language="go"]`, { timeout: 5_000 });
  await page.waitForSelector(`${tree} ${testId('trace-node')}[data-name="order.created"] ${testId('trace-reaction')}[data-identity="sidecar/inventory"]`, { timeout: 5_000 });
  expect(await page.locator(`${tree} ${testId('trace-call')}[data-caller="sidecar/inventory"]`).count()).toBeGreaterThan(0);
  await shot('traces');

  // The plugin graph, and one plugin's details from it.
  await page.click(testId('nav-graph'));
  await page.click(testId('graph-node-sidecar/inventory'), { timeout: 5_000 });
  const details = `${testId('plugin-details')}[data-name="sidecar/inventory"]`;
  await page.waitForSelector(details, { timeout: 5_000 });
  expect(await page.textContent(`${details} ${testId('plugin-needs')}`)).toContain('db');
  expect(await page.textContent(`${details} ${testId('plugin-routes')}`)).toContain('GET /inventory/:sku');
  expect(await page.textContent(`${details} ${testId('plugin-consumes')}`)).toContain('order.created');
  await page.waitForSelector(`${details} ${testId('plugin-calls')} tbody tr`, { timeout: 5_000 });
  // The drawer slides in: let it finish before the picture (nothing is asserted on time).
  await page.waitForTimeout(400);
  await shot('plugin');
  await page.keyboard.press('Escape');

  // Metrics: the order's tool calls per plugin, charted.
  await page.click(testId('nav-metrics'));
  await page.waitForSelector(`${testId('metrics-row')}[data-key="orders/create-order"]`, { timeout: 5_000 });
  await page.waitForSelector(`${testId('chart-latency')} canvas`);
  await shot('metrics');

  // The Go sidecar killed: down within seconds, with its reason on top; up again once restarted.
  await page.click(testId('nav-overview'));
  const first = inventoryPid();
  process.kill(first, 'SIGKILL');
  await page.waitForSelector(`${testId('status-sidecar/inventory')}:not([data-status="ready"])`, { timeout: 5_000 });
  await page.waitForSelector(`${testId('problem')}[data-name="sidecar/inventory"]`, { timeout: 5_000 });
  await shot('sidecar-down');
  await page.waitForSelector(`${testId('status-sidecar/inventory')}[data-status="ready"]`, { timeout: 20_000 });
  await page.waitForSelector(`${testId('change')}[data-name="sidecar/inventory"][data-to="ready"]`);
  expect(inventoryPid()).not.toBe(first);
  await shot('sidecar-up');

  // Logs: the live tail where the kernel streams its log, else a plain word that it does not.
  await page.click(testId('nav-logs'));
  await page.waitForSelector(`${testId('logs')}, ${testId('logs-unavailable')}`, { timeout: 5_000 });
  await shot('logs');
  await page.click(testId('nav-overview'));
  await shot('overview');
}, 120_000);
