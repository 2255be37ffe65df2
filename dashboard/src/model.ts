// The dashboard's view of plugins: what each status item, the OpenAPI document
// and the event topology say about one plugin, merged.
import type { Snapshot, StatusItem, Totals } from './store.ts';

export const HOSTINGS = ['native', 'sidecar', 'wasm'] as const;
export type Hosting = (typeof HOSTINGS)[number];

export const STATUS_COLORS: Record<string, string> = { ready: 'green', pending: 'yellow', stopped: 'gray', failed: 'red', dead: 'red', down: 'red' };

/** failed, dead or down: what the first screen puts on top. */
export const isBroken = (status: string) => status === 'failed' || status === 'dead' || status === 'down';

/** The hosting an identity names: `sidecar/x`, `wasm/x`, a tool, or a native plugin (`domain/feature`). */
export function hostingOf(identity: string, status: StatusItem[] = []): string {
  const item = status.find((i) => i.name === identity);
  if (item) return item.kind;
  if (identity.startsWith('sidecar/')) return 'sidecar';
  if (identity.startsWith('wasm/')) return 'wasm';
  if (identity.startsWith('tool/')) return 'tool';
  return 'native';
}

/** What an identity is written in, as the kernel says (go, rust, typescript), or ''. */
export function languageOf(identity: string, status: StatusItem[] = []): string {
  return status.find((i) => i.name === identity)?.language ?? '';
}

/** How a hosting reads to a person: native plugins are TypeScript in the kernel's process. */
export const HOSTING_LABEL: Record<string, string> = { native: 'native · TS', sidecar: 'sidecar · gRPC', wasm: 'wasm · Extism', tool: 'tool' };
export const LANGUAGE_LABEL: Record<string, string> = { typescript: 'TS', go: 'Go', rust: 'Rust' };
export const HOSTING_COLORS: Record<string, string> = { native: 'blue', sidecar: 'grape', wasm: 'orange', tool: 'gray' };

export interface PluginView extends StatusItem {
  /** Topics it consumes (subscribed to, answering requests included). */
  consumes: string[];
}

const union = (...lists: string[][]) => [...new Set(lists.flat())].sort();

/** Every plugin (not tools) with its routes and topics from wherever the kernel says them. */
export function pluginViews(snap: Snapshot): PluginView[] {
  return snap.status
    .filter((i) => i.kind !== 'tool')
    .map((i) => {
      const subscribed = snap.topics.filter((t) => t.subscribers.includes(i.name)).map((t) => t.topic);
      const published = snap.topics.filter((t) => t.publishers.includes(i.name)).map((t) => t.topic);
      return {
        ...i,
        routes: union(i.routes, snap.routes[i.name] ?? []),
        publishes: union(i.publishes, published),
        subscribes: union(i.subscribes, subscribed.filter((t) => !i.answers.includes(t))),
        consumes: union(i.subscribes, i.answers, subscribed),
      };
    });
}

export interface Rates {
  count: number;
  errors: number;
  meanMs: number;
  maxMs: number;
}

/** Totals summed over the rows given. */
export function rates(rows: Totals[]): Rates {
  const count = rows.reduce((s, r) => s + r.count, 0);
  const total = rows.reduce((s, r) => s + r.totalMs, 0);
  return { count, errors: rows.reduce((s, r) => s + r.errors, 0), meanMs: count ? total / count : 0, maxMs: rows.reduce((m, r) => Math.max(m, r.maxMs), 0) };
}

/** The dashboard's own polling shows up as /system requests: hidden unless asked for. */
export const isSystemTraffic = (name: string, source: string) => source.startsWith('system/') || /^GET \/(system|health|docs)\b/.test(name);

export const ms = (n: number) => (n >= 100 ? `${n.toFixed(0)} ms` : n >= 1 ? `${n.toFixed(1)} ms` : `${n.toFixed(2)} ms`);
export const clock = (unixMs: number) => new Date(unixMs).toLocaleTimeString(undefined, { hour12: false });
