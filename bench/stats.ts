// Shared pieces of every benchmark: the alternating schedule, the statistics and
// the result shape the runner prints. A benchmark only decides what one round of
// each side measures.

export interface Sample {
  median: number;
  min: number;
  max: number;
  p25: number;
  p75: number;
}

export function summarize(values: number[]): Sample {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => {
    // Linear interpolation: with five rounds, nearest-rank quartiles would just be min and max.
    const i = (s.length - 1) * q;
    const lo = Math.floor(i);
    return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (i - lo);
  };
  return { median: at(0.5), min: s[0]!, max: s[s.length - 1]!, p25: at(0.25), p75: at(0.75) };
}

/**
 * Runs every side once as warm-up (discarded), then `rounds` rounds of A B C …,
 * so drift of the machine (thermal, other load, GC state) hits every side alike.
 * Returns each side's values in round order, which keeps them paired by round.
 */
export async function alternate<K extends string, T>(sides: Record<K, () => Promise<T>>, rounds: number, warmups = 1): Promise<Record<K, T[]>> {
  const names = Object.keys(sides) as K[];
  const out = Object.fromEntries(names.map((n) => [n, [] as T[]])) as Record<K, T[]>;
  for (let w = 0; w < warmups; w++) for (const n of names) await sides[n]();
  for (let r = 0; r < rounds; r++) for (const n of names) out[n].push(await sides[n]());
  return out;
}

/**
 * The ratio of paired rounds, oriented so that >1 means MicroCore is better:
 * MicroCore/baseline when higher is better (throughput), baseline/MicroCore when
 * lower is better (latency, cost). Pairing by round cancels slow drift that a
 * ratio of two medians would keep.
 */
export function pairedRatio(microcore: number[], baseline: number[], better: 'higher' | 'lower'): Sample {
  return summarize(microcore.map((m, i) => (better === 'higher' ? m / baseline[i]! : baseline[i]! / m)));
}

/** One line of a benchmark's table: a measured quantity for one side. */
export interface Row {
  metric: string;
  side: string;
  unit: string;
  sample: Sample;
}

/** One line of the final summary. */
export interface Verdict {
  bench: string;
  what: string;
  /** The figure compared with the target, already formatted. */
  value: string;
  target: string;
  meets: boolean;
}

export interface BenchResult {
  rows: Row[];
  /** Ratios, shown under the table as "name: median (min–max)". */
  ratios: { what: string; sample: Sample }[];
  notes: string[];
  verdicts: Verdict[];
}

export interface Bench {
  name: string;
  title: string;
  run(): Promise<BenchResult>;
}

export function fmt(n: number): string {
  const a = Math.abs(n);
  if (a >= 1000) return Math.round(n).toLocaleString('en-US');
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  if (a >= 0.1 || a === 0) return n.toFixed(2);
  // Small ratios (MicroCore ÷ EventEmitter) would all print as 0.00.
  return n.toPrecision(2);
}

export function spread(s: Sample): string {
  return `${fmt(s.min)}–${fmt(s.max)}`;
}

/** A plain-text table; `align` has one letter per column, l or r (default: text left, the rest right). */
export function table(header: string[], lines: string[][], align = ''): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const left = (i: number) => (align[i] ?? (i < 2 ? 'l' : 'r')) === 'l';
  const render = (cells: string[]) => cells.map((c, i) => (left(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(render)].join('\n');
}
