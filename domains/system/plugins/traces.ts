// GET /system/traces: the causal trees of recent requests and events — each
// node (an HTTP request, an event, a bus request) with the reactions it caused,
// their timings and the tool calls made, children nested under their cause.
// GET /system/traces/flat lists the same nodes unnested. ?trace=<id> keeps one trace.
import type { Plain, Tools } from '../../../kernel/index.ts';
import type { TraceNode } from '../../../proto/gen/microcore/v1/system_pb.js';

type Node = Plain<TraceNode>;
export type TreeNode = Node & { children: TreeNode[] };

export class SystemTracesPlugin {
  #http: Tools['http'];
  #system: Tools['system'];

  constructor({ http, system }: Tools) {
    this.#http = http;
    this.#system = system;
  }

  async onBoot(): Promise<void> {
    await this.#http.addEndpoint({ method: 'GET', path: '/system/traces', summary: 'Causal trees of recent requests and events', tags: ['system'], handler: async (req) => ({ roots: buildTree(await this.#nodes(req.query.trace)) }) });
    await this.#http.addEndpoint({ method: 'GET', path: '/system/traces/flat', summary: 'Recent trace nodes, newest first', tags: ['system'], handler: async (req) => ({ nodes: await this.#nodes(req.query.trace) }) });
  }

  async #nodes(traceId = ''): Promise<Node[]> {
    return (await this.#system.traces({ traceId })).nodes;
  }
}

/** Nests nodes under their parents: roots newest first, children oldest first. */
export function buildTree(nodes: Node[]): TreeNode[] {
  const byId = new Map<string, TreeNode>(nodes.map((n) => [n.id, { ...n, children: [] }]));
  const roots: TreeNode[] = [];
  for (const node of byId.values()) {
    const parent = node.parentId ? byId.get(node.parentId) : undefined;
    if (parent) parent.children.unshift(node);
    else roots.push(node);
  }
  return roots;
}
