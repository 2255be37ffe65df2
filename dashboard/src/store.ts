// What the dashboard knows, gathered from /system/* (shapes in
// proto/microcore/v1/system.proto and domains/system/plugins): the status of
// every tool and plugin, recent trace nodes, tool calls and their totals, the
// event topology, the routes (OpenAPI) and, where the kernel streams them, logs.
// Fields a kernel may not send yet (routes, topics and restarts per plugin) are
// read as empty.
import { useEffect, useState } from 'react';
import { startFeed, type FeedMode } from './feed.ts';

export interface StatusItem {
  kind: string;
  name: string;
  source: string;
  status: string;
  reason: string;
  code: string;
  ms: number;
  needs: string[];
  routes: string[];
  subscribes: string[];
  answers: string[];
  publishes: string[];
  restarts?: number;
  /** typescript, go, rust, or '' (a kernel that does not say). */
  language: string;
}

export interface Member {
  id: string;
  hostname: string;
  pid: number;
}

export interface Call {
  caller: string;
  tool: string;
  method: string;
  ms: number;
  ok: boolean;
  code: string;
  traceId: string;
  eventId: string;
  atUnixMs: number;
  seq?: number;
}

export interface Totals {
  caller: string;
  tool: string;
  method: string;
  count: number;
  errors: number;
  totalMs: number;
  maxMs: number;
}

export interface Reaction {
  identity: string;
  ms: number;
  ok: boolean;
  code: string;
  attempts: number;
  kernel: string;
}

export interface TraceNode {
  id: string;
  parentId: string;
  traceId: string;
  kind: string;
  name: string;
  source: string;
  atUnixMs: number;
  ms: number;
  ok: boolean;
  code: string;
  reactions: Reaction[];
  calls: Call[];
  kernel: string;
  payloadKeys: string[];
}

export interface TreeNode extends TraceNode {
  children: TreeNode[];
}

export interface Topic {
  topic: string;
  subscribers: string[];
  publishers: string[];
  timesFired: number;
}

export interface LogLine {
  seq: number;
  atUnixMs: number;
  level: string;
  source: string;
  message: string;
  fields: Record<string, unknown>;
  traceId: string;
}

export interface StatusChange {
  name: string;
  from: string;
  to: string;
  reason: string;
  atUnixMs: number;
}

export type FeedName = 'status' | 'traces' | 'metrics' | 'logs';

export interface Snapshot {
  status: StatusItem[];
  kernel: string;
  members: Member[];
  /** Set once the first status arrived. */
  loaded: boolean;
  /** Newest first. */
  nodes: TraceNode[];
  /** Newest first. */
  calls: Call[];
  totals: Totals[];
  topics: Topic[];
  /** Routes by owner ("GET /users/:id"), from /docs/json. */
  routes: Record<string, string[]>;
  logs: LogLine[];
  /** Status transitions seen since the page opened, newest first. */
  changes: StatusChange[];
  modes: Record<FeedName, FeedMode>;
  /** The last request that failed, for the header. */
  error: string;
}

const KEEP_NODES = 1000;
const KEEP_CALLS = 2000;
const KEEP_LOGS = 1000;

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0) || 0);

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${path} answered ${res.status}`);
  return (await res.json()) as T;
}

function statusItem(raw: Record<string, unknown>): StatusItem {
  return {
    kind: String(raw.kind ?? ''),
    name: String(raw.name ?? ''),
    source: String(raw.source ?? ''),
    status: String(raw.status ?? ''),
    reason: String(raw.reason ?? ''),
    code: String(raw.code ?? ''),
    ms: num(raw.ms),
    needs: list(raw.needs),
    routes: list(raw.routes),
    subscribes: list(raw.subscribes),
    answers: list(raw.answers),
    publishes: list(raw.publishes),
    restarts: raw.restarts === undefined ? undefined : num(raw.restarts),
    language: String(raw.language ?? ''),
  };
}

function call(raw: Record<string, unknown>): Call {
  return { caller: String(raw.caller ?? ''), tool: String(raw.tool ?? ''), method: String(raw.method ?? ''), ms: num(raw.ms), ok: raw.ok !== false, code: String(raw.code ?? ''), traceId: String(raw.traceId ?? ''), eventId: String(raw.eventId ?? ''), atUnixMs: num(raw.atUnixMs), seq: raw.seq === undefined ? undefined : num(raw.seq) };
}

export function traceNode(raw: Record<string, unknown>): TraceNode {
  const reactions = (Array.isArray(raw.reactions) ? raw.reactions : []) as Record<string, unknown>[];
  const calls = (Array.isArray(raw.calls) ? raw.calls : []) as Record<string, unknown>[];
  return {
    id: String(raw.id ?? ''),
    parentId: String(raw.parentId ?? ''),
    traceId: String(raw.traceId ?? ''),
    kind: String(raw.kind ?? ''),
    name: String(raw.name ?? ''),
    source: String(raw.source ?? ''),
    atUnixMs: num(raw.atUnixMs),
    ms: num(raw.ms),
    ok: raw.ok !== false,
    code: String(raw.code ?? ''),
    reactions: reactions.map((r) => ({ identity: String(r.identity ?? ''), ms: num(r.ms), ok: r.ok !== false, code: String(r.code ?? ''), attempts: num(r.attempts), kernel: String(r.kernel ?? '') })),
    calls: calls.map(call),
    kernel: String(raw.kernel ?? ''),
    payloadKeys: list(raw.payloadKeys),
  };
}

export function treeNode(raw: Record<string, unknown>): TreeNode {
  return { ...traceNode(raw), children: ((Array.isArray(raw.children) ? raw.children : []) as Record<string, unknown>[]).map(treeNode) };
}

/** One request's causal tree (every kernel's nodes of it, on the cluster bus). */
export async function loadTrace(traceId: string): Promise<TreeNode[]> {
  const body = await getJson<{ roots?: Record<string, unknown>[] }>(`/system/traces?trace=${encodeURIComponent(traceId)}`);
  return (body.roots ?? []).map(treeNode);
}

export class Store {
  #snap: Snapshot = { status: [], kernel: '', members: [], loaded: false, nodes: [], calls: [], totals: [], topics: [], routes: {}, logs: [], changes: [], modes: { status: 'connecting', traces: 'connecting', metrics: 'connecting', logs: 'connecting' }, error: '' };
  #listeners = new Set<() => void>();
  #stops: (() => void)[] = [];
  #scheduled = false;

  get snapshot(): Snapshot {
    return this.#snap;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  // Many events may arrive in one frame: render once per frame at most.
  #set(patch: Partial<Snapshot>): void {
    this.#snap = { ...this.#snap, ...patch };
    if (this.#scheduled) return;
    this.#scheduled = true;
    setTimeout(() => {
      this.#scheduled = false;
      for (const l of this.#listeners) l();
    }, 50);
  }

  #mode = (feed: FeedName) => (mode: FeedMode) => {
    if (this.#snap.modes[feed] !== mode) this.#set({ modes: { ...this.#snap.modes, [feed]: mode } });
  };

  #failed = (err: unknown) => {
    this.#set({ error: err instanceof Error ? err.message : String(err) });
    throw err;
  };

  start(): void {
    // Polling periods when the kernel has no streams. Status is the quickest:
    // a sidecar restarted by its supervisor is dead for half a second or more.
    this.#stops.push(
      startFeed({ stream: '/system/status/stream', event: 'status', pollMs: 500, onMode: this.#mode('status'), onEvent: (body) => this.#setStatus(body as Record<string, unknown>), poll: () => getJson<Record<string, unknown>>('/system/status').then((b) => this.#setStatus(b), this.#failed) }),
      startFeed({ stream: '/system/traces/stream', event: 'trace', pollMs: 1000, onMode: this.#mode('traces'), onEvent: (n) => this.#addNode(traceNode(n as Record<string, unknown>)), poll: () => getJson<{ nodes?: Record<string, unknown>[] }>('/system/traces/flat').then((b) => this.#set({ nodes: (b.nodes ?? []).map(traceNode) }), this.#failed) }),
      startFeed({ stream: '/system/metrics/stream', event: 'call', pollMs: 2000, onMode: this.#mode('metrics'), onEvent: (c) => this.#addCall(call(c as Record<string, unknown>)), poll: () => getJson<{ recent?: Record<string, unknown>[]; totals?: Record<string, unknown>[] }>('/system/metrics?limit=1000').then((b) => this.#setMetrics(b), this.#failed) }),
      startFeed({ stream: '/system/logs/stream', event: 'log', pollMs: 0, onMode: this.#mode('logs'), onEvent: (l) => this.#addLog(l as Record<string, unknown>) }),
    );
    // Topology and routes change rarely (a restart, a reload): a slow poll serves.
    const slow = async () => {
      await getJson<{ topics?: Record<string, unknown>[] }>('/system/events').then((b) => this.#set({ topics: (b.topics ?? []).map((t) => ({ topic: String(t.topic), subscribers: list(t.subscribers), publishers: list(t.publishers), timesFired: num(t.timesFired) })) }), () => undefined);
      await getJson<{ paths?: Record<string, Record<string, { 'x-microcore-owner'?: string }>> }>('/docs/json').then((doc) => this.#setRoutes(doc), () => undefined);
    };
    void slow();
    const timer = setInterval(slow, 5000);
    this.#stops.push(() => clearInterval(timer));
  }

  stop(): void {
    for (const s of this.#stops.splice(0)) s();
  }

  #setStatus(body: Record<string, unknown>): void {
    // /system/status answers { tools, plugins }; the contract's System.Status { items }.
    const raw = (Array.isArray(body.items) ? body.items : [...((body.tools as unknown[]) ?? []), ...((body.plugins as unknown[]) ?? [])]) as Record<string, unknown>[];
    const status = raw.map(statusItem);
    const before = new Map(this.#snap.status.map((i) => [i.name, i.status]));
    const now = Date.now();
    const changes = this.#snap.loaded ? status.filter((i) => before.has(i.name) && before.get(i.name) !== i.status).map((i) => ({ name: i.name, from: before.get(i.name)!, to: i.status, reason: i.reason, atUnixMs: now })) : [];
    const members = ((body.members as Record<string, unknown>[]) ?? []).map((m) => ({ id: String(m.id), hostname: String(m.hostname ?? ''), pid: num(m.pid) }));
    this.#set({ status, kernel: String(body.kernel ?? ''), members, loaded: true, error: '', changes: changes.length ? [...changes.reverse(), ...this.#snap.changes].slice(0, 100) : this.#snap.changes });
  }

  #addNode(node: TraceNode): void {
    // A node is sent again as it changes (its reactions, its end): keep the latest.
    const nodes = this.#snap.nodes.filter((n) => n.id !== node.id);
    nodes.unshift(node);
    this.#set({ nodes: nodes.slice(0, KEEP_NODES) });
  }

  #setMetrics(body: { recent?: Record<string, unknown>[]; totals?: Record<string, unknown>[] }): void {
    const totals = (body.totals ?? []).map((t) => ({ caller: String(t.caller), tool: String(t.tool), method: String(t.method), count: num(t.count), errors: num(t.errors), totalMs: num(t.totalMs), maxMs: num(t.maxMs) }));
    this.#set({ calls: (body.recent ?? []).map(call), totals });
  }

  #addCall(c: Call): void {
    const totals = [...this.#snap.totals];
    const i = totals.findIndex((t) => t.caller === c.caller && t.tool === c.tool && t.method === c.method);
    const t = i >= 0 ? totals[i]! : { caller: c.caller, tool: c.tool, method: c.method, count: 0, errors: 0, totalMs: 0, maxMs: 0 };
    const next = { ...t, count: t.count + 1, errors: t.errors + (c.ok ? 0 : 1), totalMs: t.totalMs + c.ms, maxMs: Math.max(t.maxMs, c.ms) };
    if (i >= 0) totals[i] = next;
    else totals.push(next);
    this.#set({ calls: [c, ...this.#snap.calls].slice(0, KEEP_CALLS), totals });
  }

  #addLog(raw: Record<string, unknown>): void {
    const line: LogLine = { seq: num(raw.seq), atUnixMs: num(raw.atUnixMs), level: String(raw.level ?? 'info'), source: String(raw.source ?? ''), message: String(raw.message ?? ''), fields: (raw.fields as Record<string, unknown>) ?? {}, traceId: String(raw.traceId ?? '') };
    this.#set({ logs: [line, ...this.#snap.logs].slice(0, KEEP_LOGS) });
  }

  #setRoutes(doc: { paths?: Record<string, Record<string, { 'x-microcore-owner'?: string }>> }): void {
    const routes: Record<string, string[]> = {};
    for (const [path, methods] of Object.entries(doc.paths ?? {})) {
      for (const [method, op] of Object.entries(methods)) {
        const owner = op['x-microcore-owner'];
        if (owner) (routes[owner] ??= []).push(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`);
      }
    }
    this.#set({ routes });
  }
}

/** The store's current snapshot, re-rendering on change. */
export function useSnapshot(store: Store): Snapshot {
  const [snap, setSnap] = useState(store.snapshot);
  useEffect(() => store.subscribe(() => setSnap(store.snapshot)), [store]);
  return snap;
}
