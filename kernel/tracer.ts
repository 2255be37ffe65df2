// The tracer: what happened, and what caused it. A node is an HTTP request, a
// published event or a bus request; its parentId is the node being handled when
// it was made, so one request's nodes form a causal tree across every plugin and
// hosting. Each node lists the handlers that reacted, with their timings. Tool
// calls join in from the metrics by event id. Keeps the last 1000 nodes, each
// numbered in the order it was recorded (`seq`, from 1), so a live view can ask
// for what is newer than the last node it saw.

import { SeqRing } from './seq-ring.ts';

export const TRACE_KINDS = ['http', 'event', 'request'] as const;
export type TraceKind = (typeof TRACE_KINDS)[number];

export interface TraceReaction {
  identity: string;
  ms: number;
  ok: boolean;
  code?: string;
  attempts: number;
  /** The kernel the handler ran in, when not this one (a request another kernel answered). */
  kernel?: string;
}

export interface TraceNode {
  /** Its place in the order nodes were recorded in this kernel, from 1. */
  seq: number;
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
  // The last KEEP nodes, nothing else: whoever adds to a node (its reactions,
  // its outcome) holds the node itself, so no index by id is needed — and none
  // has to be kept up to date a hundred thousand times a second.
  #nodes = new SeqRing<TraceNode>(KEEP);

  /** The seq of the newest node; 0 before the first. */
  get lastSeq(): number {
    return this.#nodes.lastSeq;
  }

  /** The seq of the oldest node still kept (1 until the ring wraps). */
  get oldestSeq(): number {
    return this.#nodes.oldestSeq;
  }

  /** Records a node that has no duration of its own (an event: see its reactions); `at` defaults to now. */
  record(node: Omit<TraceNode, 'seq' | 'at' | 'ms' | 'ok' | 'reactions'>, at = Date.now()): TraceNode {
    return this.#nodes.add({ seq: 0, id: node.id, parentId: node.parentId, traceId: node.traceId, kind: node.kind, name: node.name, source: node.source, payloadKeys: node.payloadKeys, at, ms: 0, ok: true, reactions: [] });
  }

  /** Records a node; `end` closes it with its outcome and returns its duration in ms. */
  begin(node: Omit<TraceNode, 'seq' | 'at' | 'ms' | 'ok' | 'reactions'>, at?: number): { node: TraceNode; end(outcome?: { code?: string }): number } {
    const entry = this.record(node, at);
    const started = performance.now();
    return {
      node: entry,
      end: (outcome = {}) => {
        entry.ms = performance.now() - started;
        entry.ok = !outcome.code;
        if (outcome.code) entry.code = outcome.code;
        return entry.ms;
      },
    };
  }

  /** Records (or updates, on a retry) one handler's run for a node. The node keeps `reaction` itself: pass a fresh one. */
  react(node: TraceNode, reaction: TraceReaction): void {
    const i = node.reactions.length === 0 ? -1 : node.reactions.findIndex((r) => r.identity === reaction.identity);
    if (i >= 0) node.reactions[i] = reaction;
    else node.reactions.push(reaction);
  }

  /** Nodes newest first: only one trace's when traceId is given, only those after `afterSeq`, at most `limit` (0: all kept). Copies. */
  list(traceId?: string, afterSeq = 0, limit = 0): TraceNode[] {
    return this.#nodes.list(afterSeq, limit, traceId ? (n) => n.traceId === traceId : undefined).map((n) => ({ ...n, reactions: n.reactions.map((r) => ({ ...r })), payloadKeys: [...n.payloadKeys] }));
  }
}
