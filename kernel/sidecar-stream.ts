// The call stream (docs/protocol.md, "The call stream"): one stream per
// running sidecar (Plugin.Connect in version 3, frames on a TLS socket in
// version 4, sidecar-frames.ts) carries every invoke and the tool
// calls its handlers make, as frames tagged by call id. Profiling showed two
// unary gRPC calls per request cost ~900 µs of kernel CPU (an HTTP/2 stream
// opened per call, headers and trailers, deadline timers, and the caller's
// certificate rebuilt by Node on each tool call); frames on an open stream
// cost a fraction of that. The caller's identity needs no per-call check: the
// kernel dialed this stream to the sidecar's pinned certificate, so whatever
// arrives on it comes from that sidecar. Payloads over FRAME_PAYLOAD_BYTES go
// in pieces, with other calls' frames free to pass between them.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ConnectRequestSchema, ToolCallSchema, ToolResultSchema, type ConnectRequest, type ConnectResponse } from '../proto/gen/microcore/v1/plugin_pb.js';
import { McError, mcError, toMcError } from './errors.ts';
import type { Gateway, GatewayCaller } from './gateway.ts';
import { tooLarge } from './message-limit.ts';
import { newTrace, runInTrace, traceFromParent } from './trace.ts';

export const FRAME_PAYLOAD_BYTES = 64 * 1024;

interface Pending {
  resolve(bytes: Uint8Array): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
}

type Frame = Parameters<typeof create<typeof ConnectRequestSchema>>[1];

/** What carries the frames: Plugin.Connect (version 3) or a FrameSocket (version 4, sidecar-frames.ts). */
export interface FrameCarrier {
  write(frame: ConnectRequest): void;
  on(event: 'data', listener: (frame: ConnectResponse) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  cancel(): void;
}

export interface CallStreamOptions {
  caller: GatewayCaller;
  gateway: Gateway;
}

export class CallStream {
  #stream: FrameCarrier;
  #o: CallStreamOptions;
  #pending = new Map<bigint, Pending>();
  /** Pieces of payloads still arriving, by kind and id. */
  #parts = new Map<string, Uint8Array[]>();
  #nextId = 1n;
  #ended?: McError;

  constructor(stream: FrameCarrier, o: CallStreamOptions) {
    this.#stream = stream;
    this.#o = o;
    stream.on('data', (frame: ConnectResponse) => this.#receive(frame));
    stream.on('error', (err: Error) => this.#end(err));
    stream.on('end', () => this.#end());
  }

  get ended(): boolean {
    return this.#ended !== undefined;
  }

  get identity(): string {
    return this.#o.caller.identity;
  }

  /** Sends a serialized InvokeRequest; resolves to the serialized InvokeResponse. */
  invoke(request: Uint8Array, timeoutMs: number, traceparent = ''): Promise<Uint8Array> {
    if (this.#ended) return Promise.reject(this.#ended);
    const limit = this.#o.gateway.messageLimit;
    if (request.length > limit) return Promise.reject(tooLarge(`${this.identity} Plugin.invoke request`, this.identity, limit, request.length));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        this.#parts.delete(`r${id}`);
        // The sidecar stops the handler (its context ends); nothing comes back for this id.
        this.#write({ id, body: { case: 'cancel', value: {} as never }, more: false, timeoutMs: 0, traceparent: '' });
        reject(mcError('MC_ERR_HANDLER_FAILED', `${this.identity} did not finish Plugin.invoke within ${timeoutMs} ms`, { plugin: this.identity, timeoutMs: String(timeoutMs) }, undefined, 'Make the handler faster, or raise callTimeoutMs in sidecar.json.'));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#send(id, 'invoke', request, { timeoutMs, traceparent });
    });
  }

  /** Ends the stream; calls in flight fail as if the sidecar had gone. */
  close(): void {
    this.#end();
    this.#stream.cancel();
  }

  #receive(frame: ConnectResponse): void {
    const kind = frame.body.case;
    if (kind !== 'invokeResponse' && kind !== 'toolCall') return;
    const key = `${kind === 'invokeResponse' ? 'r' : 't'}${frame.id}`;
    let parts = this.#parts.get(key);
    if (frame.more || parts) {
      parts ??= [];
      parts.push(frame.body.value);
      if (parts.reduce((n, p) => n + p.length, 0) > this.#o.gateway.messageLimit) return this.#overflow(key, frame, kind);
      if (frame.more) return void this.#parts.set(key, parts);
      this.#parts.delete(key);
    }
    const payload = parts ? Buffer.concat(parts) : frame.body.value;
    if (kind === 'invokeResponse') return this.#settle(frame.id, (p) => p.resolve(payload));
    void this.#toolCall(frame.id, payload, frame.traceparent);
  }

  #overflow(key: string, frame: ConnectResponse, kind: 'invokeResponse' | 'toolCall'): void {
    this.#parts.delete(key);
    const limit = this.#o.gateway.messageLimit;
    const err = tooLarge(`${this.identity}'s ${kind === 'invokeResponse' ? 'Plugin.invoke answer' : 'tool call'}`, this.identity, limit);
    if (kind === 'invokeResponse') this.#settle(frame.id, (p) => p.reject(err));
    else this.#send(frame.id, 'toolResult', toolError(err));
  }

  #settle(id: bigint, fn: (p: Pending) => void): void {
    const pending = this.#pending.get(id);
    // Unknown: an invoke that timed out already; its late answer is dropped.
    if (!pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    fn(pending);
  }

  async #toolCall(id: bigint, payload: Uint8Array, traceparent: string): Promise<void> {
    let result: Uint8Array;
    try {
      const call = fromBinary(ToolCallSchema, payload);
      const trace = traceFromParent(traceparent) ?? newTrace();
      const response = await runInTrace(trace, () => this.#o.gateway.call(this.#o.caller, call.tool, call.method, call.request));
      result = toBinary(ToolResultSchema, create(ToolResultSchema, { outcome: { case: 'response', value: response } }));
    } catch (err) {
      result = toolError(toMcError(err, 'MC_ERR_GATEWAY_BAD_MESSAGE', `${this.identity} tool call on the call stream`));
    }
    if (!this.#ended) this.#send(id, 'toolResult', result);
  }

  #send(id: bigint, kind: 'invoke' | 'toolResult', payload: Uint8Array, first: { timeoutMs?: number; traceparent?: string } = {}): void {
    const piece = (at: number) => payload.subarray(at, at + FRAME_PAYLOAD_BYTES);
    const more = (at: number) => at + FRAME_PAYLOAD_BYTES < payload.length;
    this.#write({ id, body: { case: kind, value: piece(0) }, more: more(0), timeoutMs: first.timeoutMs ?? 0, traceparent: first.traceparent ?? '' });
    // The rest one piece per turn of the event loop, so frames of other calls
    // written meanwhile go out between them.
    const next = (at: number) => {
      if (at >= payload.length || this.#ended) return;
      this.#write({ id, body: { case: kind, value: piece(at) }, more: more(at), timeoutMs: 0, traceparent: '' });
      setImmediate(next, at + FRAME_PAYLOAD_BYTES);
    };
    if (more(0)) setImmediate(next, FRAME_PAYLOAD_BYTES);
  }

  #write(frame: Frame): void {
    if (!this.#ended) this.#stream.write(create(ConnectRequestSchema, frame));
  }

  #end(err?: Error): void {
    if (this.#ended) return;
    this.#ended = mcError('MC_ERR_SIDECAR_DOWN', `${this.identity}'s call stream ended${err ? ` (${err.message})` : ''}`, { plugin: this.identity }, err);
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(this.#ended);
      this.#pending.delete(id);
    }
    this.#parts.clear();
  }
}

function toolError(e: McError): Uint8Array {
  return toBinary(ToolResultSchema, create(ToolResultSchema, { outcome: { case: 'error', value: { code: e.code, message: e.message, details: e.details } } }));
}
