// GET /system/status/stream: the /system/status body as server-sent events
// (`event: status`), sent when a client connects and whenever it changed,
// checked every 500 ms while anyone watches: a sidecar that dies shows as dead,
// then ready once restarted (a death shorter than a check still counts in its
// `restarts`). Members' heartbeat times are not a change. Each event is the
// whole state, so there is nothing to resume: no ids, Last-Event-ID ignored.
import type { JsValue, Tools } from '../../../kernel/index.ts';
import { LiveFeed } from '../live-feed.ts';
import { statusBody } from './status.ts';

type Status = Awaited<ReturnType<typeof statusBody>>;
const CHECK_MS = 500;

export class SystemStatusStreamPlugin {
  #http: Tools['http'];
  readonly feed: LiveFeed<{ seq: number; status: Status }>;
  // The status seen last and its number: the feed's one-entry ring.
  #seq = 0;
  #last?: { key: string; status: Status };

  constructor({ http, system, logger }: Tools) {
    this.#http = http;
    this.feed = new LiveFeed(
      { http, logger },
      {
        event: 'status',
        resumable: false,
        pollMs: CHECK_MS,
        read: async (afterSeq) => {
          const status = await statusBody(system);
          const key = JSON.stringify({ ...status, members: status.members.map((m) => ({ ...m, seenAtUnixMs: 0n })) }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
          if (key !== this.#last?.key) {
            this.#seq++;
            this.#last = { key, status };
          }
          const entry = { seq: this.#seq, status: this.#last!.status };
          // Each entry is the whole state: nothing before it is ever missed.
          return { entries: this.#seq > afterSeq ? [entry] : [], oldestSeq: 1, lastSeq: this.#seq };
        },
        seqOf: (e) => e.seq,
        data: (e) => e.status as unknown as JsValue,
      },
    );
  }

  async onBoot(): Promise<void> {
    await this.#http.addStream({ path: '/system/status/stream', summary: 'The status on connect and on every change (server-sent events)', tags: ['system'], handler: (req) => this.feed.open(req) });
  }

  onShutdown(): void {
    this.feed.stop();
  }
}
