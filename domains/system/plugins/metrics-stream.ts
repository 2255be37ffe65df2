// GET /system/metrics/stream: tool calls as they are made, as server-sent
// events (`event: call`, `id:` the call's seq, data {seq, caller, tool, method,
// ms, ok, code, traceId, eventId, atUnixMs}). Calls made by domains/system's own
// plugins are left out: the feeds' reads and sends would otherwise be most of
// what it shows, and each send to a viewer would be a new call to send it.
// Last-Event-ID resumes (see ../live-feed.ts).
import type { Plain, Tools } from '../../../kernel/index.ts';
import type { ToolCallRecord } from '../../../proto/gen/microcore/v1/system_pb.js';
import { LiveFeed } from '../live-feed.ts';

type Call = Plain<ToolCallRecord>;

export class SystemMetricsStreamPlugin {
  #http: Tools['http'];
  readonly feed: LiveFeed<Call>;

  constructor({ http, system, logger }: Tools) {
    this.#http = http;
    this.feed = new LiveFeed(
      { http, logger },
      {
        event: 'call',
        read: async (afterSeq, limit) => {
          const r = await system.metrics({ afterSeq: BigInt(afterSeq), limit });
          return { entries: r.recent.reverse(), oldestSeq: Number(r.oldestSeq), lastSeq: Number(r.lastSeq) };
        },
      },
    );
  }

  async onBoot(): Promise<void> {
    await this.#http.addStream({ path: '/system/metrics/stream', summary: 'Tool calls as they are made (server-sent events)', tags: ['system'], handler: (req) => this.feed.open(req, (c) => !c.caller.startsWith('system/')) });
  }

  onShutdown(): void {
    this.feed.stop();
  }
}
