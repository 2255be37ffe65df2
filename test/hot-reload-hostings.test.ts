// Hot reload of a sidecar and of a wasm module in the running kernel (issue 13),
// each hosting under a steady stream of requests: the parity twins (real Go and
// Rust sidecar processes, real Rust and Go wasm modules) are swapped twenty
// times — a new process or module boots beside the old one and takes over in
// one step. The rows each twin wrote equal the client's count of 2xx answers,
// and each event published during the swaps was recorded exactly once.
import Database from 'better-sqlite3';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reloads, startDev, steadyLoad, type Dev } from './dev-session.ts';
import { PARITY_FIXTURES } from './project.ts';

const RELOADS = 20;

const TWINS = [
  { hosting: 'go', identity: 'sidecar/parity-go', manifest: 'sidecars/parity-go/sidecar.json', built: 'sidecars/parity-go/bin/parity-go' },
  { hosting: 'rustsc', identity: 'sidecar/parity-rustsc', manifest: 'sidecars/parity-rustsc/sidecar.json', built: 'sidecars/parity-rustsc/bin/parity-rustsc' },
  { hosting: 'rust', identity: 'wasm/parity-rust', manifest: 'wasm-plugins/parity-rust/plugin.json', built: 'wasm-plugins/parity-rust/parity_rust.wasm' },
  { hosting: 'gowasm', identity: 'wasm/parity-gowasm', manifest: 'wasm-plugins/parity-gowasm/plugin.json', built: 'wasm-plugins/parity-gowasm/parity_gowasm.wasm' },
] as const;

let dev: Dev | undefined;
afterEach(async () => {
  await dev?.stop();
  if (dev) rmSync(dev.root, { recursive: true, force: true });
  dev = undefined;
});

/** The twin's manifest without its build command (the binary or module is copied in, built already), with `description` as the change. */
function manifest(twin: (typeof TWINS)[number], description: string): string {
  const m = JSON.parse(readFileSync(join(PARITY_FIXTURES, twin.manifest), 'utf8')) as Record<string, unknown>;
  delete m.build;
  return JSON.stringify({ ...m, description }, null, 2);
}

/** `microcore dev` on a project holding the twin, built already, and the parity table. */
function startTwin(twin: (typeof TWINS)[number]): Promise<Dev> {
  const files = {
    'domains/parity/migrations/001_parity_items.sql': readFileSync(join(PARITY_FIXTURES, 'domains/parity/migrations/001_parity_items.sql'), 'utf8'),
    [twin.manifest]: manifest(twin, 'version 0'),
    [twin.built]: readFileSync(join(PARITY_FIXTURES, twin.built)),
  };
  return startDev(files, { executables: [twin.built] });
}

describe.each(TWINS)('microcore dev: hot reload of $identity', (twin) => {
  it(`swaps it ${RELOADS} times under a steady stream of requests: every request answered once, every event recorded once`, async () => {
    dev = await startTwin(twin);
    const d = dev;
    await swapUnderLoad(d, twin.hosting, twin.identity, RELOADS, (v) => manifest(twin, `version ${v}`), twin.manifest);
    expect(await d.stop()).toBe(0);
  }, 180_000);
});

// One identity, two languages: each swap replaces the running build with the
// other one (the Go and Rust parity twins serve the same paths under a
// `hosting` their config names). Their SDKs number handlers in different orders
// and the Rust twin serves more endpoints, so a request or event reaching one
// version with the other's handler ids, or a router not rebuilt, would show.
const CROSS = [
  {
    what: 'a sidecar, between its Go and Rust builds',
    identity: 'sidecar/parity-go',
    manifest: 'sidecars/parity-go/sidecar.json',
    hosting: 'go',
    builds: ['sidecars/parity-go/bin/parity-go', 'sidecars/parity-rustsc/bin/parity-rustsc'],
    version: (n: number) => ({ name: 'parity-go', command: n % 2 ? 'bin/parity-rustsc' : 'bin/parity-go', needs: ['http', 'db', 'logger', 'bus'], config: { hosting: 'go' }, description: `build ${n}` }),
    folder: 'sidecars/parity-go',
  },
  {
    what: 'a wasm module, between its Rust and Go builds',
    identity: 'wasm/parity-rust',
    manifest: 'wasm-plugins/parity-rust/plugin.json',
    hosting: 'rust',
    builds: ['wasm-plugins/parity-rust/parity_rust.wasm', 'wasm-plugins/parity-gowasm/parity_gowasm.wasm'],
    version: (n: number) => ({ name: 'parity-rust', module: n % 2 ? 'parity_gowasm.wasm' : 'parity_rust.wasm', needs: ['http', 'db', 'logger', 'bus'], config: { hosting: 'rust' }, wasi: true, mode: 'worker', limits: { timeoutMs: 5000 }, description: `build ${n}` }),
    folder: 'wasm-plugins/parity-rust',
  },
] as const;

describe.each(CROSS)('microcore dev: swapping $what', (cross) => {
  it('ten times under a steady stream of requests: every request answered once, every event recorded once', async () => {
    const files: Record<string, string | Uint8Array> = {
      'domains/parity/migrations/001_parity_items.sql': readFileSync(join(PARITY_FIXTURES, 'domains/parity/migrations/001_parity_items.sql'), 'utf8'),
      [cross.manifest]: JSON.stringify(cross.version(0)),
    };
    // Both builds beside the manifest, under their own names.
    const placed = cross.builds.map((b) => `${cross.folder}/${cross.identity.startsWith('sidecar/') ? 'bin/' : ''}${b.split('/').pop()}`);
    cross.builds.forEach((b, i) => (files[placed[i]!] = readFileSync(join(PARITY_FIXTURES, b))));
    dev = await startDev(files, { executables: placed });
    const d = dev;
    await swapUnderLoad(d, cross.hosting, cross.identity, 10, (n) => JSON.stringify(cross.version(n)), cross.manifest);
  }, 180_000);
});

describe('microcore dev: a sidecar whose new version will not start', () => {
  it('keeps the old process serving and says why', async () => {
    const twin = TWINS[0];
    dev = await startTwin(twin);
    const d = dev;
    // A binary that exits at once: the new version never says its handshake line.
    const broken = JSON.parse(manifest(twin, 'broken')) as Record<string, unknown>;
    writeFileSync(join(d.root, twin.manifest), JSON.stringify({ ...broken, command: 'bin/missing' }));
    await d.until('the refused swap', () => d.lines.some((l) => l.includes(`microcore dev: ${twin.identity} not reloaded`)));
    expect((await fetch(`${d.url}/parity/go/execute`, { method: 'POST' })).status).toBe(200);
  }, 60_000);
});

/**
 * Clients alternating POST /parity/<hosting>/execute and /publish while the
 * manifest is rewritten `swaps` times (each a swap, waited for): then no request
 * failed, the rows /execute wrote equal its 2xx answers, and each published
 * event was recorded once by the twin's broadcast subscription.
 */
async function swapUnderLoad(d: Dev, hosting: string, identity: string, swaps: number, manifestAt: (n: number) => string, manifestFile: string): Promise<void> {
  const execute = `/parity/${hosting}/execute`;
  const publish = `/parity/${hosting}/publish`;
  const load = steadyLoad(d.url, [execute, publish]);
  await d.until('the first answers', () => load.ok() > 20);
  for (let n = 1; n <= swaps; n++) {
    writeFileSync(join(d.root, manifestFile), manifestAt(n));
    await d.until(`swap ${n}`, () => reloads(d.lines, identity) >= n);
    const answered = load.ok();
    await d.until(`answers after swap ${n}`, () => load.ok() >= answered + 5);
  }
  await load.stop();
  expect(d.lines.filter((l) => l.includes('restarting') || l.includes('not reloaded'))).toEqual([]);
  expect(load.failures).toEqual([]);
  expect([...load.statuses.keys()]).toEqual([200]);
  const db = new Database(join(d.root, 'data/app.db'), { readonly: true });
  try {
    const count = (like: string) => (db.prepare(`SELECT count(*) AS n FROM parity_items WHERE hosting = ? AND text ${like}`).get(hosting) as { n: number }).n;
    expect(count("NOT LIKE 'event:%'")).toBe(load.byPath.get(execute));
    await d.until('every event recorded', () => count("LIKE 'event:%'") >= load.byPath.get(publish)!, 10_000);
    expect(count("LIKE 'event:%'")).toBe(load.byPath.get(publish));
  } finally {
    db.close();
  }
}
