// One live server-sent event feed of a kernel ring (trace nodes, tool calls, log
// lines), shared by every client watching it. The system tool numbers each
// ring's entries (seq); the feed sends each client what is newer than the last
// seq it sent that client, so a client that reconnects with Last-Event-ID gets
// exactly what it missed, or, when the ring no longer holds all of it, first an
// `event: gap` {missedFrom, missedTo}. A client without Last-Event-ID gets the
// ring's last BACKLOG entries, then live ones.
//
// A viewer must never slow the kernel: there is one poll loop per feed, whatever
// the number of clients, at most every POLL_MS, and none at all (no timer, no
// read) while no client is open. Sending never waits for a client: the http tool
// buffers, and cuts a client past 1 MiB unsent (MC_ERR_HTTP_STREAM_CLOSED here,
// which drops it). The kernel tells a plugin that a client left only when a send
// fails, so an idle feed sends `event: ping` every KEEP_ALIVE_MS (it also keeps
// proxies from closing an idle connection); the loop ends within that of the
// last client leaving.
import { LogLevel, McError, type JsValue, type Plain, type Tools } from '../../kernel/index.ts';
import type { HttpRequest } from '../../proto/gen/microcore/v1/http_pb.js';

export const POLL_MS = 250;
export const BACKLOG = 100;
export const KEEP_ALIVE_MS = 15_000;

/** What a ring holds after a seq: entries oldest first, and the ring's bounds. */
export interface Batch<T> {
  entries: T[];
  oldestSeq: number;
  lastSeq: number;
}

export interface FeedOptions<T> {
  /** The SSE event name of each entry. */
  event: string;
  /** Reads the ring: entries after `afterSeq`, the newest `limit` of them (0: all). */
  read(afterSeq: number, limit: number): Promise<Batch<T>>;
  /** The entry's seq; default: its `seq` field. */
  seqOf?(entry: T): number;
  /** The entry as sent (JSON); default: the entry itself. */
  data?(entry: T): JsValue;
  pollMs?: number;
  keepAliveMs?: number;
  /** false: events carry no id and Last-Event-ID is ignored (a feed whose every entry is a whole state, such as the status). */
  resumable?: boolean;
}

interface Viewer<T> {
  /** The last seq this viewer has (been sent or skipped); undefined: a fresh viewer, given the backlog. */
  after?: number;
  keep?: (entry: T) => boolean;
  quietSince: number;
}

export class LiveFeed<T> {
  #http: Tools['http'];
  #logger: Tools['logger'];
  #o: Required<Pick<FeedOptions<T>, 'seqOf' | 'data'>> & FeedOptions<T>;
  #viewers = new Map<string, Viewer<T>>();
  #timer?: NodeJS.Timeout;
  #running = false;
  #again = false;
  #lastSeq = 0;
  #stopped = false;
  /** Ticks run so far: what a test reads to see that no loop runs while nobody watches. */
  ticks = 0;

  constructor({ http, logger }: Pick<Tools, 'http' | 'logger'>, options: FeedOptions<T>) {
    this.#http = http;
    this.#logger = logger;
    this.#o = { seqOf: (e) => Number((e as { seq?: unknown }).seq), data: (e) => e as unknown as JsValue, ...options };
  }

  /** A client opened the stream: it joins the loop (starting it if it was idle). `keep` filters what it is sent. */
  open(req: Plain<HttpRequest>, keep?: (entry: T) => boolean): void {
    const resume = this.#o.resumable === false ? '' : (req.headers['last-event-id']?.trim() ?? '');
    const after = /^\d{1,15}$/.test(resume) ? Number(resume) : undefined;
    this.#viewers.set(req.streamId, { after, keep, quietSince: Date.now() });
    this.#wake();
  }

  /** How many clients the feed sends to. */
  get viewers(): number {
    return this.#viewers.size;
  }

  /** Whether a poll is scheduled or running. */
  get polling(): boolean {
    return this.#timer !== undefined || this.#running;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#viewers.clear();
  }

  // Runs a tick now: a client that just opened should not wait for the next poll.
  #wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    void this.#tick();
  }

  async #tick(): Promise<void> {
    this.#running = true;
    this.#again = false;
    this.ticks++;
    try {
      await this.#poll();
    } catch (err) {
      // The ring could not be read (the kernel is shutting down?): the next tick tries again, while anyone watches.
      await this.#warn(`reading the ring for the ${this.#o.event} stream failed`, err);
    } finally {
      this.#running = false;
      if (this.#stopped || this.#viewers.size === 0) this.#timer = undefined;
      else if (this.#again) void this.#tick();
      else {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          void this.#tick();
        }, this.#o.pollMs ?? POLL_MS);
        this.#timer.unref();
      }
    }
  }

  async #poll(): Promise<void> {
    const viewers = [...this.#viewers];
    const known = viewers.map(([, v]) => v.after).filter((a) => a !== undefined);
    const fresh = known.length < viewers.length;
    // Only fresh viewers: the newest BACKLOG entries are all there is to read.
    const batch = known.length === 0 ? await this.#o.read(0, BACKLOG) : await this.#o.read(Math.max(0, Math.min(...known, fresh ? this.#lastSeq - BACKLOG : Infinity)), 0);
    this.#lastSeq = batch.lastSeq;
    const now = Date.now();
    for (const [streamId, v] of viewers) {
      if (!this.#viewers.has(streamId)) continue;
      // A seq past the ring's last is from a kernel that has since restarted: start afresh.
      if (v.after !== undefined && v.after > batch.lastSeq) {
        v.after = undefined;
        this.#again = true;
        continue;
      }
      v.after ??= Math.max(0, batch.lastSeq - BACKLOG);
      const sent = await this.#send(streamId, v, batch);
      if (sent) v.quietSince = now;
      else if (now - v.quietSince >= (this.#o.keepAliveMs ?? KEEP_ALIVE_MS) && (await this.#deliver(streamId, 'ping', null, ''))) v.quietSince = now;
    }
  }

  /** Sends one viewer what the batch holds past its seq (a gap first, if some is gone); whether it sent anything. */
  async #send(streamId: string, v: Viewer<T>, batch: Batch<T>): Promise<boolean> {
    let sent = false;
    if (v.after! + 1 < batch.oldestSeq) {
      if (!(await this.#deliver(streamId, 'gap', { missedFrom: v.after! + 1, missedTo: batch.oldestSeq - 1 }, String(batch.oldestSeq - 1)))) return false;
      sent = true;
    }
    for (const entry of batch.entries) {
      const seq = this.#o.seqOf(entry);
      if (seq <= v.after!) continue;
      v.after = seq;
      if (v.keep && !v.keep(entry)) continue;
      if (!(await this.#deliver(streamId, this.#o.event, this.#o.data(entry), this.#o.resumable === false ? '' : String(seq)))) return false;
      sent = true;
    }
    v.after = Math.max(v.after!, batch.lastSeq);
    return sent;
  }

  /** One event; a client that has gone (or was cut off) leaves the feed. */
  async #deliver(streamId: string, event: string, data: JsValue, id: string): Promise<boolean> {
    try {
      await this.#http.sendEvent({ streamId, event, data, id });
      return true;
    } catch (err) {
      // Either way this client gets no more; only a client that left (or was cut off) is no news.
      this.#viewers.delete(streamId);
      if (!(err instanceof McError && err.code === 'MC_ERR_HTTP_STREAM_CLOSED')) await this.#warn(`sending to a ${this.#o.event} stream failed; it gets no more events`, err);
      return false;
    }
  }

  async #warn(message: string, err: unknown): Promise<void> {
    const code = err instanceof McError ? err.code : 'MC_ERR_INTERNAL';
    try {
      await this.#logger.log({ level: LogLevel.WARN, message, fields: { code, cause: String((err as Error)?.message ?? err) } });
    } catch {
      // The logger itself failed (shut down first): there is nowhere left to say it.
    }
  }
}
