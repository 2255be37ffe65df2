// The dashboard's live feed (dashboard/src/feed.ts) against a real HTTP server:
// it reads a server-sent event stream when there is one, and polls the JSON
// endpoint when the stream answers 404 (a kernel without streams).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { startFeed, type FeedMode } from '../dashboard/src/feed.ts';

let server: Server | undefined;
let stop: (() => void) | undefined;
afterEach(async () => {
  stop?.();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function until(what: string, check: () => boolean): Promise<void> {
  const end = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

it('reads the events of its name from a stream, split across chunks, and loads the JSON once first', async () => {
  const base = await serve((req, res) => {
    if (req.url !== '/s') return res.writeHead(500).end();
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    res.write('id: 1\nevent: trace\ndata: {"id":"a"');
    setTimeout(() => res.write('}\n\nevent: other\ndata: {"id":"x"}\n\n'), 20);
    setTimeout(() => res.write('event: trace\r\ndata: {"id":"b"}\r\n\r\n'), 40);
  });
  const seen: unknown[] = [];
  const modes: FeedMode[] = [];
  let polls = 0;
  stop = startFeed({ stream: `${base}/s`, event: 'trace', pollMs: 10, onMode: (m) => modes.push(m), onEvent: (d) => seen.push(d), poll: async () => void polls++ });
  await until('both trace events', () => seen.length === 2);
  expect(seen).toEqual([{ id: 'a' }, { id: 'b' }]);
  expect(modes).toEqual(['stream']);
  expect(polls).toBe(1);
});

it('polls the JSON endpoint when the stream answers 404', async () => {
  let asked = 0;
  const base = await serve((_req, res) => {
    asked++;
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"MC_ERR_HTTP_NOT_FOUND"}}');
  });
  const modes: FeedMode[] = [];
  let polls = 0;
  stop = startFeed({ stream: `${base}/s`, event: 'trace', pollMs: 20, onMode: (m) => modes.push(m), onEvent: () => undefined, poll: async () => void polls++ });
  await until('several polls', () => polls >= 4);
  expect(asked).toBe(1);
  expect(new Set(modes)).toEqual(new Set(['polling']));
});

it('says offline when a stream without a JSON twin answers 404', async () => {
  const base = await serve((_req, res) => res.writeHead(404).end());
  const modes: FeedMode[] = [];
  stop = startFeed({ stream: `${base}/logs`, event: 'log', pollMs: 0, onMode: (m) => modes.push(m), onEvent: () => undefined });
  await until('offline', () => modes.includes('offline'));
});
