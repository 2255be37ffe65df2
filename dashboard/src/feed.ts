// One live feed: a server-sent event stream when the kernel serves it, else
// polling its JSON twin. The stream is read with fetch (not EventSource) so a
// 404 — a kernel without streams — is told apart from a dropped connection:
// 404 switches to polling for good, a drop reconnects after a second.

export type FeedMode = 'connecting' | 'stream' | 'polling' | 'offline';

export interface FeedOptions {
  /** The stream's path, e.g. /system/traces/stream. */
  stream: string;
  /** The SSE event name to take (`trace`, `call`, `status`, `log`). */
  event: string;
  onEvent(data: unknown): void;
  /** Loads the JSON endpoint once; run at start and, without a stream, every pollMs. Absent: no fallback. */
  poll?: () => Promise<void>;
  pollMs: number;
  onMode(mode: FeedMode): void;
}

/** Starts the feed; the function returned stops it. */
export function startFeed(options: FeedOptions): () => void {
  const controller = new AbortController();
  let stopped = false;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  const pollForever = async () => {
    while (!stopped) {
      try {
        await options.poll!();
        options.onMode('polling');
      } catch {
        options.onMode('offline');
      }
      await sleep(options.pollMs);
    }
  };

  const run = async () => {
    // The current picture first: a stream brings only what happens next.
    if (options.poll) await options.poll().catch(() => undefined);
    while (!stopped) {
      let res: Response;
      try {
        res = await fetch(options.stream, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
      } catch {
        if (stopped) return;
        options.onMode('offline');
        await sleep(1000);
        continue;
      }
      if (res.status === 404 || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
        await res.body?.cancel().catch(() => undefined);
        if (!options.poll) return options.onMode('offline');
        return pollForever();
      }
      options.onMode('stream');
      try {
        await readEvents(res.body!, (event, data) => {
          if (event === options.event) options.onEvent(data);
        });
      } catch {
        // A dropped connection: reconnect below.
      }
      if (stopped) return;
      options.onMode('connecting');
      await sleep(1000);
      if (options.poll) await options.poll().catch(() => undefined);
    }
  };
  void run();
  return () => {
    stopped = true;
    controller.abort();
  };
}

/** Reads a text/event-stream body, calling `onEvent` with each event's name and parsed data. */
async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (event: string, data: unknown) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (!data.length) continue;
      const text = data.join('\n');
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON: hand over the text.
      }
      onEvent(event, parsed);
    }
  }
}
