// Trace context: which trace (and which caller) the code running now belongs to.
// In-process it rides AsyncLocalStorage; across gRPC it is the W3C `traceparent`
// metadata; into wasm it is the host context of the Extism call.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

export interface TraceContext {
  traceId: string;
  /**
   * The W3C parent span, when one came in with a traceparent. The kernel's own
   * contexts (a delivery, a request) leave it out: every outgoing call opens a
   * span of its own (openSpan), so an id made per delivery was never read.
   */
  spanId?: string;
  /** The event or HTTP request being handled: the parent of anything published now. */
  eventId?: string;
  /** The wasm plugin whose call is running (an instance cannot be re-entered). */
  insideWasm?: string;
}

const storage = new AsyncLocalStorage<TraceContext>();

export function currentTrace(): TraceContext | undefined {
  return storage.getStore();
}

export function runInTrace<T>(trace: TraceContext, fn: () => T): T {
  return storage.run(trace, fn);
}

export function newTrace(): TraceContext {
  return { traceId: randomHex(16) };
}

export function newSpanId(): string {
  return randomHex(8);
}

// Ids are drawn from a pool of random bytes refilled 4 KiB at a time: one
// randomBytes call per id costs ~2 µs (a system call each), a pooled one ~0.1 µs.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let used = 0;

function randomHex(bytes: number): string {
  if (used + bytes > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** A trace from a `traceparent` header, or undefined when absent or malformed. */
export function parseTraceparent(header: string | undefined): { traceId: string; spanId: string } | undefined {
  const m = header ? TRACEPARENT.exec(header.trim().toLowerCase()) : null;
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  return { traceId: m[1]!, spanId: m[2]! };
}

// A call into a sidecar carries only a traceparent; its tool calls come back
// with that same traceparent. Remembering which context each outgoing span id
// stood for lets the kernel restore all of it (the event being handled, too)
// without the sidecar having to carry more than W3C asks.
const openSpans = new Map<string, TraceContext>();

/** A fresh span for an outgoing call in `trace`; close() when the call is done. */
export function openSpan(trace: TraceContext): { traceparent: string; close(): void } {
  const { insideWasm: _, ...rest } = trace;
  const spanId = newSpanId();
  openSpans.set(spanId, { ...rest, spanId });
  return { traceparent: formatTraceparent({ traceId: trace.traceId, spanId }), close: () => openSpans.delete(spanId) };
}

/** The context a returning call's traceparent stands for: ours if we opened it. */
export function traceFromParent(header: string | undefined): TraceContext | undefined {
  const parsed = parseTraceparent(header);
  return parsed && (openSpans.get(parsed.spanId) ?? parsed);
}

export function formatTraceparent(trace: { traceId: string; spanId: string }): string {
  return `00-${trace.traceId}-${trace.spanId}-01`;
}
