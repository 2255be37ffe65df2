// Tool call metrics: every call through a proxy or the gateway, per plugin, tool
// and method. A ring of recent calls (with their trace ids) and running totals.
//
// Every tool call of every plugin lands here, so recording must cost next to
// nothing: a caller resolves its totals once (`totalsFor`, when its proxy is
// made) and the ring keeps each call's fields in columns — no object per call;
// `recent()` builds the records when someone reads them. Calls are numbered in
// the order they were recorded (`seq`, from 1) by one counter: a call's number
// follows from its place in the ring, so none is stored.

export interface CallRecord {
  /** Its place in the order calls were recorded in this kernel, from 1. */
  seq: number;
  caller: string;
  tool: string;
  method: string;
  ms: number;
  ok: boolean;
  code?: string;
  traceId: string;
  /** The event or HTTP request being handled, if any. */
  eventId?: string;
  /** Milliseconds since the Unix epoch. */
  at: number;
}

export interface CallTotals {
  caller: string;
  tool: string;
  method: string;
  count: number;
  errors: number;
  totalMs: number;
  maxMs: number;
}

const RING_SIZE = 1000;

export class CallMetrics {
  #size = 0;
  #next = 0;
  #seq = 0;
  #who: CallTotals[] = new Array(RING_SIZE);
  #ms = new Float64Array(RING_SIZE);
  #at = new Float64Array(RING_SIZE);
  #code: (string | undefined)[] = new Array(RING_SIZE);
  #traceId: string[] = new Array(RING_SIZE);
  #eventId: (string | undefined)[] = new Array(RING_SIZE);
  #totals = new Map<string, CallTotals>();

  /** The running totals of one caller's calls to one method, to pass to `add`. */
  totalsFor(caller: string, tool: string, method: string): CallTotals {
    const k = `${caller}\u0000${tool}\u0000${method}`;
    let t = this.#totals.get(k);
    if (!t) this.#totals.set(k, (t = { caller, tool, method, count: 0, errors: 0, totalMs: 0, maxMs: 0 }));
    return t;
  }

  /** One call: `code` is set when it failed. */
  add(t: CallTotals, ms: number, code: string | undefined, traceId: string, eventId: string | undefined, at: number): void {
    const i = this.#next;
    this.#who[i] = t;
    this.#ms[i] = ms;
    this.#at[i] = at;
    this.#code[i] = code;
    this.#traceId[i] = traceId;
    this.#eventId[i] = eventId;
    this.#next = i + 1 === RING_SIZE ? 0 : i + 1;
    if (this.#size < RING_SIZE) this.#size++;
    this.#seq++;
    t.count++;
    if (code !== undefined) t.errors++;
    t.totalMs += ms;
    if (ms > t.maxMs) t.maxMs = ms;
  }

  /** The seq of the newest call; 0 before the first. */
  get lastSeq(): number {
    return this.#seq;
  }

  /** The seq of the oldest call still kept (1 until the ring wraps). */
  get oldestSeq(): number {
    return this.#seq - this.#size + 1;
  }

  /** The last calls, newest first: at most `limit` of them (0: all kept), only those after `afterSeq`. */
  recent(afterSeq = 0, limit = 0): CallRecord[] {
    const out: CallRecord[] = [];
    const count = Math.min(this.#size, this.#seq - afterSeq, limit > 0 ? limit : RING_SIZE);
    for (let n = 1; n <= count; n++) {
      const i = (this.#next - n + RING_SIZE) % RING_SIZE;
      const t = this.#who[i]!;
      const code = this.#code[i];
      out.push({ seq: this.#seq - n + 1, caller: t.caller, tool: t.tool, method: t.method, ms: this.#ms[i]!, ok: code === undefined, code, traceId: this.#traceId[i]!, eventId: this.#eventId[i], at: this.#at[i]! });
    }
    return out;
  }

  totals(): CallTotals[] {
    return [...this.#totals.values()].filter((t) => t.count > 0).map((t) => ({ ...t }));
  }
}
