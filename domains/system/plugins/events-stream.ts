// GET /system/events/stream: bus events and bus requests as they happen, as
// server-sent events (`event: event`, `id:` the trace node's seq, data the
// trace node: kind event or request, the topic as name, the publisher as
// source, its reactions and tool calls so far). The trace stream's feed,
// without HTTP requests; Last-Event-ID resumes (see ../live-feed.ts).
import type { Plain, Tools } from '../../../kernel/index.ts';
import type { TraceNode } from '../../../proto/gen/microcore/v1/system_pb.js';
import { LiveFeed } from '../live-feed.ts';
import { traceBatch } from './traces-stream.ts';

type Node = Plain<TraceNode>;

export class SystemEventsStreamPlugin {
  #http: Tools['http'];
  readonly feed: LiveFeed<Node>;

  constructor({ http, system, logger }: Tools) {
    this.#http = http;
    this.feed = new LiveFeed({ http, logger }, { event: 'event', read: traceBatch(system) });
  }

  async onBoot(): Promise<void> {
    await this.#http.addStream({ path: '/system/events/stream', summary: 'Bus events and requests as they happen (server-sent events)', tags: ['system'], handler: (req) => this.feed.open(req, (n) => n.kind !== 'http') });
  }

  onShutdown(): void {
    this.feed.stop();
  }
}
