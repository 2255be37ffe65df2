// GET /system/traces/stream: trace nodes as they are recorded, as server-sent
// events (`event: trace`, `id:` the node's seq, data a node shaped as
// /system/traces/flat lists it, with its seq and the tool calls made so far).
// A node is sent once, as it stands when the feed reads it (every 250 ms):
// reactions and an outcome that come later are in /system/traces, not sent
// again. Last-Event-ID resumes (see ../live-feed.ts).
import type { Plain, Tools } from '../../../kernel/index.ts';
import type { TraceNode } from '../../../proto/gen/microcore/v1/system_pb.js';
import { LiveFeed, type Batch } from '../live-feed.ts';

type Node = Plain<TraceNode>;

export class SystemTracesStreamPlugin {
  #http: Tools['http'];
  readonly feed: LiveFeed<Node>;

  constructor({ http, system, logger }: Tools) {
    this.#http = http;
    this.feed = new LiveFeed({ http, logger }, { event: 'trace', read: traceBatch(system) });
  }

  async onBoot(): Promise<void> {
    await this.#http.addStream({ path: '/system/traces/stream', summary: 'Trace nodes as they are recorded (server-sent events)', tags: ['system'], handler: (req) => this.feed.open(req) });
  }

  onShutdown(): void {
    this.feed.stop();
  }
}

/** Reads this kernel's trace ring after a seq, oldest first. */
export function traceBatch(system: Tools['system']): (afterSeq: number, limit: number) => Promise<Batch<Node>> {
  return async (afterSeq, limit) => {
    const r = await system.traces({ afterSeq: BigInt(afterSeq), limit });
    return { entries: r.nodes.reverse(), oldestSeq: Number(r.oldestSeq), lastSeq: Number(r.lastSeq) };
  };
}
