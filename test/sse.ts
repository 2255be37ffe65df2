// Test harness: a real HTTP client of a server-sent event stream, parsing events
// as they arrive; and one that connects and never reads (a stalled viewer).
import { connect, type Socket } from 'node:net';
import { afterEach } from 'vitest';
import { join } from 'node:path';
import { bootProject, plugin, REPO, type TestProject } from './project.ts';

export interface SseEvent {
  id: string;
  event: string;
  // Parsed JSON, of whatever shape the stream sends.
  data: any;
}

export class SseReader {
  readonly events: SseEvent[] = [];
  closed = false;
  #buf = '';
  #controller: AbortController;

  private constructor(controller: AbortController) {
    this.#controller = controller;
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const controller = new AbortController();
    const res = await fetch(url, { headers, signal: controller.signal });
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
    const reader = new SseReader(controller);
    void reader.#pump(res.body!.getReader());
    return reader;
  }

  /** The events named `event`, in order. */
  named(event: string): SseEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  /** Waits until `check` holds over the events received so far. */
  async until(what: string, check: (events: SseEvent[]) => boolean, ms = 5_000): Promise<void> {
    const end = Date.now() + ms;
    while (!check(this.events)) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.events.map((e) => [e.event, e.id]))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.#controller.abort();
  }

  async #pump(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.#buf += decoder.decode(value, { stream: true });
        for (let i = this.#buf.indexOf('\n\n'); i >= 0; i = this.#buf.indexOf('\n\n')) {
          this.#parse(this.#buf.slice(0, i));
          this.#buf = this.#buf.slice(i + 2);
        }
      }
    } catch {
      // Aborted by close(): the events so far stay readable.
    }
    this.closed = true;
  }

  #parse(block: string): void {
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(': ');
      fields[line.slice(0, colon)] = line.slice(colon + 2);
    }
    if (fields.data !== undefined) this.events.push({ id: fields.id ?? '', event: fields.event ?? '', data: JSON.parse(fields.data) });
  }
}

/** Opens a stream over a raw socket and never reads from it: its unsent bytes pile up on the server. */
export async function stalledViewer(url: string): Promise<Socket> {
  const { hostname, port, pathname } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(`GET ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\nAccept: text/event-stream\r\n\r\n`);
  // Read the status line, then stop reading for good.
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.pause();
  return socket;
}

/**
 * A project with the repository's domains/system and a probe plugin (t/probe):
 * GET /t/ping; POST /t/burst?n=&keys= publishes n events on t.burst, each with a
 * payload of `keys` keys, and answers how long publishing took (ms); POST /t/ask
 * makes a bus request on t.asked, which it answers itself; POST /t/log?level=&n=
 * logs n lines.
 */
export async function bootWithSystem(options: { files?: Record<string, string>; env?: Record<string, string> } = {}): Promise<TestProject> {
  return bootProject(
    {
      'domains/t/plugins/probe.ts': plugin(`
        export class ProbePlugin {
          constructor({ http, bus, logger }) { this.http = http; this.bus = bus; this.logger = logger; }
          async onBoot() {
            await this.http.addEndpoint({ method: 'GET', path: '/t/ping', handler: () => ({ ok: true }) });
            await this.http.addEndpoint({ method: 'POST', path: '/t/burst', handler: async (req) => {
              const payload = {};
              for (let k = 0; k < Number(req.query.keys ?? 1); k++) payload['a_rather_long_payload_key_' + k] = k;
              const t0 = performance.now();
              for (let i = 0; i < Number(req.query.n ?? 1); i++) await this.bus.publish({ topic: 't.burst', payload });
              return { ms: performance.now() - t0 };
            } });
            await this.bus.subscribe({ topic: 't.asked', handler: () => ({ yes: true }) });
            await this.http.addEndpoint({ method: 'POST', path: '/t/ask', handler: async () => (await this.bus.request({ topic: 't.asked', payload: {} })).payload });
            await this.http.addEndpoint({ method: 'POST', path: '/t/log', handler: async (req) => {
              const level = { debug: 1, info: 2, warn: 3, error: 4 }[req.query.level ?? 'warn'];
              for (let i = 0; i < Number(req.query.n ?? 1); i++) await this.logger.log({ level, message: 'line ' + i, fields: { i: BigInt(i) } });
              return {};
            } });
          }
        }`),
      ...options.files,
    },
    { links: { 'domains/system': join(REPO, 'domains/system') }, env: options.env },
  );
}

/** Calls of one caller to one tool method so far, from the kernel's metrics. */
export function callsOf(project: TestProject, caller: string, tool: string, method: string): { count: number; errors: number } {
  const t = project.kernel.metrics.totals().find((x) => x.caller === caller && x.tool === tool && x.method === method);
  return { count: t?.count ?? 0, errors: t?.errors ?? 0 };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A test file's kernel and its readers of the stream at `path`, all stopped after each test. */
export function streamSession(path: string) {
  const readers: SseReader[] = [];
  const session = {
    project: undefined as TestProject | undefined,
    async open(query = '', headers: Record<string, string> = {}): Promise<SseReader> {
      const r = await SseReader.open(`${session.project!.url}${path}${query}`, headers);
      readers.push(r);
      return r;
    },
  };
  afterEach(async () => {
    for (const r of readers.splice(0)) r.close();
    await session.project?.stop();
    session.project = undefined;
  });
  return session;
}
