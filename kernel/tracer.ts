// The tracer: what happened, and what caused it. A node is an HTTP request, a
// published event or a bus request; its parentId is the node being handled when
// it was made, so one request's nodes form a causal tree across every plugin and
// hosting. Each node lists the handlers that reacted, with their timings. Tool
// calls join in from the metrics by event id. Keeps the last 1000 nodes.

export const TRACE_KINDS = ['http', 'event', 'request'] as const;
export type TraceKind = (typeof TRACE_KINDS)[number];

export interface TraceReaction {
  identity: string;
  ms: number;
  ok: boolean;
  code?: string;
  attempts: number;
}

export interface TraceNode {
  id: string;
  parentId: string;
  traceId: string;
  kind: TraceKind;
  /** "POST /orders" or a topic. */
  name: string;
  /** Who made it happen: the publisher, or the plugin serving the endpoint. */
  source: string;
  at: number;
  ms: number;
  ok: boolean;
  code?: string;
  reactions: TraceReaction[];
  payloadKeys: string[];
}

const KEEP = 1000;

export class Tracer {
  #nodes = new Map<string, TraceNode>();
  // Eviction order as a ring of ids: deleting a Map's first key over and over
  // makes V8 skip ever more holes to find the next one.
  #ring: (string | undefined)[] = new Array(KEEP);
  #next = 0;

  /** Records a node that has no duration of its own (an event: see its reactions). */
  record(node: Omit<TraceNode, 'at' | 'ms' | 'ok' | 'reactions'>): TraceNode {
    const entry: TraceNode = { id: node.id, parentId: node.parentId, traceId: node.traceId, kind: node.kind, name: node.name, source: node.source, payloadKeys: node.payloadKeys, at: Date.now(), ms: 0, ok: true, reactions: [] };
    const evicted = this.#ring[this.#next];
    if (evicted !== undefined) this.#nodes.delete(evicted);
    this.#ring[this.#next] = entry.id;
    this.#next = (this.#next + 1) % KEEP;
    this.#nodes.set(entry.id, entry);
    return entry;
  }

  /** Records a node; returns a function that closes it with its outcome and duration. */
  begin(node: Omit<TraceNode, 'at' | 'ms' | 'ok' | 'reactions'>): (outcome?: { code?: string }) => void {
    const entry = this.record(node);
    const started = performance.now();
    return (outcome = {}) => {
      entry.ms = performance.now() - started;
      entry.ok = !outcome.code;
      if (outcome.code) entry.code = outcome.code;
    };
  }

  /** Records (or updates, on a retry) one handler's run for a node. */
  react(nodeId: string, reaction: TraceReaction): void {
    const node = this.#nodes.get(nodeId);
    if (!node) return;
    const i = node.reactions.findIndex((r) => r.identity === reaction.identity);
    if (i >= 0) node.reactions[i] = { ...reaction };
    else node.reactions.push({ ...reaction });
  }

  /** Nodes newest first; only one trace's when traceId is given. Copies. */
  list(traceId?: string): TraceNode[] {
    const out: TraceNode[] = [];
    for (const n of this.#nodes.values()) if (!traceId || n.traceId === traceId) out.push({ ...n, reactions: n.reactions.map((r) => ({ ...r })), payloadKeys: [...n.payloadKeys] });
    return out.reverse();
  }
}
