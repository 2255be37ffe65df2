// Server-sent event streams across kernels. A client's stream is open on the
// one kernel it connected to, but the plugin that sends it an event may run on
// another (it reacted to a bus event delivered there). With the cluster bus
// (BUS_DRIVER=nats) each kernel answers, on core NATS, for the streams open on
// it: subject `<prefix>.sse.<stream id>`. A kernel that does not hold a stream
// relays the event there as a request: the frame is rendered by the sender (so
// int64 and bytes are written as they would be locally), the holder checks the
// owner and writes it, and its answer carries any refusal back. No kernel
// answering means the client has gone: the same MC_ERR_HTTP_STREAM_CLOSED as
// for a local stream.
import { RequestError, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { mcError, McError, type KernelLog } from '../../kernel/index.ts';
import { connectNats, type NatsSettings } from '../bus-nats/settings.ts';

const RELAY_TIMEOUT_MS = 5_000;
const NEW_STREAM_GRACE_MS = 50;
const STREAM_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const closed = (streamId: string, caller: string) => mcError('MC_ERR_HTTP_STREAM_CLOSED', `${caller} sent an event to stream ${streamId}, whose client has gone (no kernel holds it)`, { streamId });

export interface RelayedEvent {
  caller: string;
  frame: string;
}

export class StreamRelay {
  #nc: NatsConnection;
  #prefix: string;
  #served = new Map<string, Subscription>();

  private constructor(nc: NatsConnection, prefix: string) {
    this.#nc = nc;
    this.#prefix = prefix;
  }

  static async connect(settings: NatsSettings, log: KernelLog): Promise<StreamRelay> {
    const { shownUrl, prefix } = settings;
    try {
      const nc = await connectNats(settings, 'microcore-http-streams');
      void nc.closed().then((err) => err && log.warn('http: the stream relay lost NATS', { error: err.message }));
      return new StreamRelay(nc, prefix);
    } catch (err) {
      throw mcError('MC_ERR_TOOL_SETUP', `the http tool cannot reach NATS at NATS_URL=${shownUrl} to relay server-sent events between kernels: ${(err as Error).message}`, { setting: 'NATS_URL' }, err, 'Start nats-server (with -js) or fix NATS_URL; or use BUS_DRIVER=memory for a kernel of its own.');
    }
  }

  /** Answers for a stream open here: `deliver` writes the frame or throws a refusal, which goes back to the sender. */
  serve(streamId: string, deliver: (event: RelayedEvent) => void): void {
    const sub = this.#nc.subscribe(this.#subject(streamId), {
      callback: (err, msg) => {
        if (err) return;
        try {
          deliver(msg.json<RelayedEvent>());
          msg.respond();
        } catch (e) {
          const refusal = e instanceof McError ? e : mcError('MC_ERR_INTERNAL', (e as Error).message);
          msg.respond(JSON.stringify({ code: refusal.code, message: refusal.message, details: refusal.details }));
        }
      },
    });
    this.#served.set(streamId, sub);
  }

  /**
   * The stream has closed here: stop answering for it. Drained, not dropped: an
   * event already on its way still gets its answer (the stream is gone) rather
   * than leaving its sender to time out.
   */
  forget(streamId: string): void {
    void this.#served.get(streamId)?.drain().catch(() => {});
    this.#served.delete(streamId);
  }

  /** Sends an event to a stream held by another kernel. */
  async send(streamId: string, event: RelayedEvent): Promise<void> {
    // Stream ids are UUIDs; anything else names no stream (and no subject).
    if (!STREAM_ID.test(streamId)) throw closed(streamId, event.caller);
    let answer;
    for (let attempt = 1; ; attempt++) {
      try {
        answer = await this.#nc.request(this.#subject(streamId), JSON.stringify(event), { timeout: RELAY_TIMEOUT_MS });
        break;
      } catch (err) {
        // A stream opened a moment ago may not be known to the server yet: ask once more before calling it gone.
        if (err instanceof RequestError && err.isNoResponders()) {
          if (attempt === 1) {
            await new Promise((r) => setTimeout(r, NEW_STREAM_GRACE_MS));
            continue;
          }
          throw closed(streamId, event.caller);
        }
        throw mcError('MC_ERR_TOOL_UNAVAILABLE', `${event.caller} sent an event to stream ${streamId} on another kernel, which did not answer: ${(err as Error).message}`, { streamId }, err);
      }
    }
    if (answer.data.length) {
      // The holder's own error, as it made it (its message already names the code).
      const refusal = answer.json<{ code: string; message: string; details: Record<string, string> }>();
      throw new McError(refusal.code, refusal.message, refusal.details);
    }
  }

  async close(): Promise<void> {
    this.#served.clear();
    await this.#nc.drain().catch(() => {});
  }

  #subject(streamId: string): string {
    return `${this.#prefix}.sse.${streamId}`;
  }
}
