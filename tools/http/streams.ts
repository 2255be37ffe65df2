// Open server-sent event streams, by id. A slow client is cut off rather than
// buffered without end: once its unsent bytes pass the limit, its stream closes
// and the next SendEvent says so. With a relay (the cluster bus), an event for a
// stream another kernel holds goes there (stream-relay.ts).
import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { mcError, type JsValue } from '../../kernel/index.ts';
import { renderJson } from './json.ts';
import type { RelayedEvent, StreamRelay } from './stream-relay.ts';

const MAX_BUFFERED_BYTES = 1 << 20;

export class Streams {
  #open = new Map<string, { res: ServerResponse; owner: string }>();
  relay?: StreamRelay;

  /** Starts the event stream on a raw response; returns its id. */
  open(res: ServerResponse, owner: string, headers: Record<string, string>): string {
    const id = randomUUID();
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(': connected\n\n');
    this.#open.set(id, { res, owner });
    this.relay?.serve(id, (relayed) => this.#write(id, relayed));
    res.on('close', () => {
      this.#open.delete(id);
      this.relay?.forget(id);
    });
    return id;
  }

  send(streamId: string, caller: string, event: { event: string; data: JsValue; id: string }): void | Promise<void> {
    let frame = '';
    // \r ends an SSE line as \n does: neither may smuggle in a field.
    if (event.id) frame += `id: ${event.id.replace(/[\r\n]/g, ' ')}\n`;
    if (event.event) frame += `event: ${event.event.replace(/[\r\n]/g, ' ')}\n`;
    frame += `data: ${renderJson(event.data)}\n\n`;
    if (!this.#open.has(streamId) && this.relay) return this.relay.send(streamId, { caller, frame });
    this.#write(streamId, { caller, frame });
  }

  #write(streamId: string, { caller, frame }: RelayedEvent): void {
    const stream = this.#open.get(streamId);
    if (!stream || stream.res.writableEnded) throw mcError('MC_ERR_HTTP_STREAM_CLOSED', `${caller} sent an event to stream ${streamId}, whose client has gone`, { streamId });
    if (stream.owner !== caller) throw mcError('MC_ERR_INVALID_ARGUMENT', `${caller} sent an event to stream ${streamId}, which belongs to ${stream.owner}`, { streamId });
    stream.res.write(frame);
    if (stream.res.writableLength > MAX_BUFFERED_BYTES) this.close(streamId);
  }

  close(streamId: string): void {
    const stream = this.#open.get(streamId);
    this.#open.delete(streamId);
    this.relay?.forget(streamId);
    stream?.res.end();
  }

  /** Ends every stream: the server cannot close while a client holds one open. */
  closeAll(): void {
    for (const id of [...this.#open.keys()]) this.close(id);
  }

  /** Ends the streams a plugin opened (its previous version, swapped out: nothing would send on them); clients reconnect to the new one. */
  closeOwner(owner: string): void {
    for (const [id, stream] of this.#open) if (stream.owner === owner) this.close(id);
  }

  get size(): number {
    return this.#open.size;
  }
}
