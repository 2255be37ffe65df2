// Hot reload in the running kernel (issue 13): `microcore dev` swaps one changed
// plugin while a steady stream of requests runs, twenty times in a row. Nothing
// is lost, refused or done twice: the rows the plugin wrote equal the client's
// count of 2xx answers, and every event published during the swaps is handled
// exactly once. A broken new version leaves the old one serving.
import Database from 'better-sqlite3';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reloads, startDev, steadyLoad, type Dev } from './dev-session.ts';
import { REPO } from './project.ts';

const RELOADS = 20;

const MIGRATION = `CREATE TABLE hits (id INTEGER PRIMARY KEY AUTOINCREMENT, version INTEGER NOT NULL);
CREATE TABLE handled (event_id TEXT NOT NULL, version INTEGER NOT NULL);
`;

// Each version writes a row per request (the counter), publishes an event and
// handles its own events by writing their ids: a lost or doubled event shows.
// Odd versions serve one more endpoint, added first: a route that comes and
// goes, and handler ids that differ from one version to the next (a version's
// handler id must never reach the other version).
const counter = (version: number) => `import { mcError } from '${REPO}/kernel/index.ts';
void mcError;
const VERSION = ${version};
export class Counter {
  constructor({ http, db, bus }) { this.http = http; this.db = db; this.bus = bus; }
  async onBoot() {
    ${version % 2 ? "await this.http.addEndpoint({ method: 'GET', path: '/odd', handler: () => ({ odd: VERSION }) });" : ''}
    await this.http.addEndpoint({ method: 'POST', path: '/hit', handler: async () => {
      await this.db.execute({ sql: 'INSERT INTO hits (version) VALUES (?)', params: [VERSION] });
      const { id } = await this.bus.publish({ topic: 'hit.made', payload: { version: VERSION } });
      return { version: VERSION, event: id };
    } });
    await this.bus.subscribe({ topic: 'hit.made', handler: async (event) => {
      await this.db.execute({ sql: 'INSERT INTO handled (event_id, version) VALUES (?, ?)', params: [event.id, VERSION] });
      return null;
    } });
  }
}
`;


let dev: Dev | undefined;
afterEach(async () => {
  await dev?.stop();
  if (dev) rmSync(dev.root, { recursive: true, force: true });
  dev = undefined;
});

describe('microcore dev: hot reload of a native plugin', () => {
  it(`swaps it ${RELOADS} times under a steady stream of requests: every request answered once, every event handled once`, async () => {
    dev = await startDev({ 'domains/shop/migrations/001_init.sql': MIGRATION, 'domains/shop/plugins/counter.ts': counter(0) });
    const d = dev;
    const file = join(d.root, 'domains/shop/plugins/counter.ts');
    const load = steadyLoad(d.url);
    await d.until('the first answers', () => load.ok() > 20);
    for (let v = 1; v <= RELOADS; v++) {
      writeFileSync(file, counter(v));
      await d.until(`reload ${v}`, () => reloads(d.lines, 'shop/counter') >= v);
      // A few requests on each version before the next swap.
      const seen = load.versions.length;
      await d.until(`answers from version ${v}`, () => load.versions.slice(seen).filter((x) => x === v).length >= 5);
      expect((await fetch(`${d.url}/odd`)).status).toBe(v % 2 ? 200 : 404);
    }
    await load.stop();

    // Not one restart: the kernel that answered first answered last.
    expect(d.lines.filter((l) => l.includes('restarting'))).toEqual([]);
    expect(load.failures).toEqual([]);
    expect([...load.statuses.keys()]).toEqual([200]);
    // Every version answered, the last one last, and no client went back to an
    // older version once a newer one answered it: a swap is one step.
    expect(load.versions.at(-1)).toBe(RELOADS);
    for (const seen of load.byClient) expect(seen.every((v, i) => i === 0 || v >= seen[i - 1]!), seen.join(',')).toBe(true);
    expect(new Set(load.versions)).toEqual(new Set(Array.from({ length: RELOADS + 1 }, (_, v) => v)));

    const db = new Database(join(d.root, 'data/app.db'), { readonly: true });
    try {
      const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      expect(count('SELECT count(*) AS n FROM hits')).toBe(load.ok());
      await d.until('every event handled', () => count('SELECT count(*) AS n FROM handled') >= load.events.length, 10_000);
      const handled = db.prepare('SELECT event_id FROM handled').all() as { event_id: string }[];
      expect(handled.length).toBe(load.events.length);
      expect(new Set(handled.map((h) => h.event_id))).toEqual(new Set(load.events));
    } finally {
      db.close();
    }
    expect(await d.stop()).toBe(0);
  }, 180_000);

  it('delivers a subscription\'s events one at a time in publish order across swaps, the old version finishing the one in its hands', async () => {
    // Each handler takes a while, so swaps land while an event is in the old version's
    // hands; even versions take longer than odd ones, so a new version let loose
    // beside its predecessor's event in flight would record the later events first.
    const ordered = (version: number) => `const VERSION = ${version};
export class Ordered {
  constructor({ http, db, bus }) { this.http = http; this.db = db; this.bus = bus; }
  async onBoot() {
    await this.http.addEndpoint({ method: 'POST', path: '/emit/:n', handler: async (req) => {
      await this.bus.publish({ topic: 'seq.made', payload: { n: Number(req.params.n) } });
      return { version: VERSION };
    } });
    await this.bus.subscribe({ topic: 'seq.made', handler: async (event) => {
      await new Promise((r) => setTimeout(r, VERSION % 2 ? 1 : 15));
      await this.db.execute({ sql: 'INSERT INTO handled (event_id, version) VALUES (?, ?)', params: [String(event.payload.n), VERSION] });
      return null;
    } });
  }
}
`;
    dev = await startDev({ 'domains/shop/migrations/001_init.sql': MIGRATION, 'domains/shop/plugins/ordered.ts': ordered(0) });
    const d = dev;
    let sent = 0;
    let running = true;
    // One client, each publish after the last answered: publish order is n's order.
    const client = (async () => {
      while (running) {
        if ((await fetch(`${d.url}/emit/${sent}`, { method: 'POST' })).ok) sent++;
        // About the handlers' pace: a backlog to swap over, not one to wait out.
        await new Promise((r) => setTimeout(r, 3));
      }
    })();
    for (let v = 1; v <= 10; v++) {
      const before = sent;
      writeFileSync(join(d.root, 'domains/shop/plugins/ordered.ts'), ordered(v));
      await d.until(`reload ${v}`, () => reloads(d.lines, 'shop/ordered') >= v);
      await d.until('more events', () => sent >= before + 10);
    }
    running = false;
    await client;
    const db = new Database(join(d.root, 'data/app.db'), { readonly: true });
    try {
      await d.until('every event handled', () => (db.prepare('SELECT count(*) AS n FROM handled').get() as { n: number }).n >= sent, 60_000);
      const handled = (db.prepare('SELECT event_id FROM handled ORDER BY rowid').all() as { event_id: string }[]).map((r) => Number(r.event_id));
      expect(handled).toEqual(Array.from({ length: sent }, (_, n) => n));
    } finally {
      db.close();
    }
  }, 120_000);

  it('refuses a registration from the version being replaced: a late endpoint of the old one is never the new one\'s', async () => {
    const late = (version: number) => `export class Late {
  constructor({ http }) { this.http = http; }
  async onBoot() {
    // Registers one more endpoint a while after it is called: by then a new version may have taken over.
    await this.http.addEndpoint({ method: 'POST', path: '/later', handler: async () => {
      await new Promise((r) => setTimeout(r, 1500));
      await this.http.addEndpoint({ method: 'GET', path: '/from-v${version}', handler: () => ({ v: ${version} }) });
      return { added: true };
    } });
    await this.http.addEndpoint({ method: 'GET', path: '/v', handler: () => ({ v: ${version} }) });
  }
}
`;
    dev = await startDev({ 'domains/shop/plugins/late.ts': late(1) });
    const d = dev;
    const pending = fetch(`${d.url}/later`, { method: 'POST' });
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(join(d.root, 'domains/shop/plugins/late.ts'), late(2));
    await d.until('the swap', () => reloads(d.lines, 'shop/late') >= 1);
    expect(await (await fetch(`${d.url}/v`)).json()).toEqual({ v: 2 });
    const answer = await pending;
    expect(answer.status).toBe(500);
    expect((await fetch(`${d.url}/from-v1`)).status).toBe(404);
  }, 60_000);

  it('keeps the old version serving when the new one fails to import or to boot, and says why', async () => {
    dev = await startDev({ 'domains/shop/migrations/001_init.sql': MIGRATION, 'domains/shop/plugins/counter.ts': counter(1) });
    const d = dev;
    const file = join(d.root, 'domains/shop/plugins/counter.ts');
    const hit = async () => ((await (await fetch(`${d.url}/hit`, { method: 'POST' })).json()) as { version: number }).version;
    expect(await hit()).toBe(1);

    writeFileSync(file, counter(2).replace('export class', 'export clas'));
    await d.until('the refused import', () => d.lines.some((l) => l.includes('microcore dev: shop/counter not reloaded')));
    expect(await hit()).toBe(1);
    const status = (await (await fetch(`${d.url}/system/status`)).json()) as { plugins: { name: string; status: string; reason: string }[] };
    const item = status.plugins.find((i) => i.name === 'shop/counter')!;
    expect(item.status).toBe('ready');
    expect(item.reason).toContain('a new version failed to boot; the previous one keeps serving');

    // Boots, but its onBoot throws: refused as well, the old one still serving.
    writeFileSync(file, counter(3).replace('async onBoot() {', 'async onBoot() { throw new Error("no boot today");'));
    await d.until('the refused boot', () => d.lines.filter((l) => l.includes('microcore dev: shop/counter not reloaded')).length >= 2);
    expect(d.lines.some((l) => l.includes('no boot today'))).toBe(true);
    expect(await hit()).toBe(1);

    // Boots, but one of its endpoints has a body schema no validator can be built from.
    writeFileSync(file, counter(3).replace("path: '/hit',", `path: '/hit', bodySchemaJson: '{"type":"nope"}',`));
    await d.until('the refused schema', () => d.lines.filter((l) => l.includes('microcore dev: shop/counter not reloaded')).length >= 3);
    expect(d.lines.filter((l) => l.includes('microcore dev: shop/counter not reloaded')).at(-1)).toContain('bodySchemaJson');
    expect(await hit()).toBe(1);

    writeFileSync(file, counter(4));
    await d.until('the fixed version', () => reloads(d.lines, 'shop/counter') >= 1);
    expect(await hit()).toBe(4);
    const fixed = (await (await fetch(`${d.url}/system/status`)).json()) as { plugins: { name: string; reason: string }[] };
    expect(fixed.plugins.find((i) => i.name === 'shop/counter')!.reason).toBe('');
  }, 60_000);

  it('adds a new plugin file and removes a deleted one without a restart; a shared helper reloads its importers', async () => {
    const helper = (word: string) => `export const WORD = '${word}';\n`;
    const greeter = `import { WORD } from '../lib/word.ts';
export class Greeter {
  constructor({ http }) { this.http = http; }
  async onBoot() { await this.http.addEndpoint({ method: 'GET', path: '/greet', handler: () => ({ word: WORD }) }); }
}
`;
    dev = await startDev({ 'domains/shop/migrations/001_init.sql': MIGRATION, 'domains/shop/plugins/counter.ts': counter(1), 'domains/shop/lib/word.ts': helper('hello') }, { env: { AI_CONTEXT_PATH: 'AI_CONTEXT.md' } });
    const d = dev;
    const context = () => readFileSync(join(d.root, 'AI_CONTEXT.md'), 'utf8');
    expect(context()).not.toContain('/greet');
    writeFileSync(join(d.root, 'domains/shop/plugins/greeter.ts'), greeter);
    await d.until('the added plugin', () => d.lines.some((l) => l.includes('microcore dev: shop/greeter added in')));
    expect(await (await fetch(`${d.url}/greet`)).json()).toEqual({ word: 'hello' });
    // AI_CONTEXT.md follows the running kernel: the new endpoint is in it.
    await d.until('AI_CONTEXT.md written again', () => context().includes('GET /greet'));

    writeFileSync(join(d.root, 'domains/shop/lib/word.ts'), helper('bonjour'));
    await d.until('the importer reloaded', () => reloads(d.lines, 'shop/greeter') >= 1);
    expect(await (await fetch(`${d.url}/greet`)).json()).toEqual({ word: 'bonjour' });
    // The counter does not import the helper: it was left alone.
    expect(reloads(d.lines, 'shop/counter')).toBe(0);

    rmSync(join(d.root, 'domains/shop/plugins/greeter.ts'));
    await d.until('the removed plugin', () => d.lines.some((l) => l.includes('microcore dev: shop/greeter removed')));
    expect((await fetch(`${d.url}/greet`)).status).toBe(404);
    await d.until('AI_CONTEXT.md without it', () => !context().includes('GET /greet'));
    expect(((await (await fetch(`${d.url}/hit`, { method: 'POST' })).json()) as { version: number }).version).toBe(1);
    expect(d.lines.filter((l) => l.includes('restarting'))).toEqual([]);
  }, 60_000);
});
