// `npm run bench [filter]`: runs the benchmarks whose name contains the filter,
// prints a table for each and a summary of ratios against their targets.
// A missed target is reported, not failed: the exit code says only whether a
// benchmark crashed.
import { bench as bootScale } from './boot-scale.ts';
import { bench as bus } from './bus.ts';
import { bench as cluster } from './cluster.ts';
import { bench as fuzzySearch } from './fuzzy-search.ts';
import { bench as hostings } from './hostings.ts';
import { bench as hostingsFootprint } from './hostings-footprint.ts';
import { bench as hostingsSearch } from './hostings-search.ts';
import { bench as hotReload } from './hot-reload.ts';
import { bench as httpGetUser } from './http-get-user.ts';
import { bench as httpPing } from './http-ping.ts';
import { bench as proxy } from './proxy.ts';
import { bench as wasmModes } from './wasm-modes.ts';
import { fmt, spread, table, type Bench, type Verdict } from './stats.ts';

const ALL: Bench[] = [httpGetUser, httpPing, bus, proxy, wasmModes, fuzzySearch, hostings, hostingsSearch, hostingsFootprint, bootScale, cluster, hotReload];
const filter = process.argv[2] ?? '';
const selected = ALL.filter((b) => b.name.includes(filter));
if (selected.length === 0) {
  console.error(`no benchmark matches '${filter}' (have: ${ALL.map((b) => b.name).join(', ')})`);
  process.exit(1);
}

console.log(`MicroCore benchmarks — Node ${process.version}, ${(await import('node:os')).availableParallelism()} cores`);
console.log('Each side runs in the same process run, alternating A B A B … after a warm-up; values are the median of the rounds with min–max.');
console.log('Every ratio is oriented so that >1 means MicroCore is better: MicroCore÷baseline for throughput, baseline÷MicroCore for latency and cost.');

const verdicts: Verdict[] = [];
let crashed = false;
const started = performance.now();
for (const b of selected) {
  console.log(`\n== ${b.name}: ${b.title}\n`);
  const t0 = performance.now();
  try {
    const result = await b.run();
    console.log(table(['metric', 'side', 'unit', 'median', 'min–max'], result.rows.map((r) => [r.metric, r.side, r.unit, fmt(r.sample.median), spread(r.sample)])));
    if (result.ratios.length) {
      console.log('');
      for (const r of result.ratios) console.log(`  ratio ${r.what}: ${fmt(r.sample.median)}× (rounds ${spread(r.sample)})`);
    }
    if (result.notes.length) console.log('');
    for (const n of result.notes) console.log(`  note: ${n}`);
    verdicts.push(...result.verdicts);
  } catch (err) {
    crashed = true;
    console.error(`${b.name} crashed: ${(err as Error).stack ?? err}`);
  }
  console.log(`  (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

console.log(`\n== summary (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
console.log(table(['bench', 'what', 'value', 'target', 'result'], verdicts.map((v) => [v.bench, v.what, v.value, v.target, v.meets ? 'meets' : 'misses']), 'llrll'));
// Child servers and brokers are stopped by then; exit anyway so a stray timer cannot hold the run open.
process.exit(crashed ? 1 : 0);
