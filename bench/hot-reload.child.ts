// The child of bench/hot-reload.ts: boots a copy of the example app's TS domains
// with hot reload on (as `microcore dev` runs it), then swaps users/get-user
// RELOADS times — its file changed each time, so each swap imports a new copy
// of it and of the domain files it imports — and reports times and RSS (after
// a full GC) to the parent over IPC. Run with --expose-gc. Mode `same`: a
// change that keeps its route (the router stays); `route`: its path changes
// each time (the http tool rebuilds its router).
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kernel } from '../kernel/index.ts';
import { writeProject, REPO } from '../test/project.ts';

const RELOADS = Number(process.argv[2] ?? 100);
const MODE = process.argv[3] === 'route' ? 'route' : 'same';
const root = writeProject({});
cpSync(join(REPO, 'domains'), join(root, 'domains'), { recursive: true, filter: (src) => !src.endsWith('.test.ts') });
const kernel = new Kernel({ root, reloadable: true, env: { HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'silent', AI_CONTEXT_PATH: 'off', DATABASE_PATH: join(root, 'data/app.db') } });
const gc = (globalThis as { gc?: () => void }).gc!;
const rssMb = () => {
  gc();
  gc();
  return process.memoryUsage().rss / 1024 / 1024;
};
try {
  const t0 = performance.now();
  const report = await kernel.boot();
  const bootMs = performance.now() - t0;
  const failed = report.filter((i) => i.status !== 'ready');
  if (failed.length) throw new Error(`not ready: ${failed.map((i) => `${i.name}: ${i.reason}`).join('; ')}`);
  const file = 'domains/users/plugins/get-user.ts';
  const source = readFileSync(join(root, file), 'utf8');
  // A first swap, so that what every later one shares (the loader's own caches) is in the baseline.
  const version = (v: string) => (MODE === 'route' ? source.replace("path: '/users/:id'", `path: '/users/:id/${v}'`) : `${source}\n// ${v}\n`);
  if (version('x') === source) throw new Error(`${file} no longer has path '/users/:id': update the bench`);
  writeFileSync(join(root, file), version('warm-up'));
  await kernel.reload([file]);
  const rssBefore = rssMb();
  const swapMs: number[] = [];
  for (let i = 0; i < RELOADS; i++) {
    writeFileSync(join(root, file), version(`v${i}`));
    const t = performance.now();
    const [outcome] = await kernel.reload([file]);
    swapMs.push(performance.now() - t);
    if (!outcome?.ok) throw new Error(`swap ${i} failed: ${JSON.stringify(outcome)}`);
  }
  const rssAfter = rssMb();
  process.send!({ bootMs, swapMs, rssBefore, rssAfter });
} finally {
  await kernel.shutdown();
  rmSync(root, { recursive: true, force: true });
}
