// Tool call metrics: every call through a proxy or the gateway, per plugin, tool
// and method. A ring of recent calls (with their trace ids) and running totals.

export interface CallRecord {
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
  #ring: CallRecord[] = [];
  #next = 0;
  #totals = new Map<string, CallTotals>();

  record(r: CallRecord): void {
    if (this.#ring.length < RING_SIZE) this.#ring.push(r);
    else this.#ring[this.#next] = r;
    this.#next = (this.#next + 1) % RING_SIZE;
    const k = `${r.caller}\u0000${r.tool}\u0000${r.method}`;
    let t = this.#totals.get(k);
    if (!t) this.#totals.set(k, (t = { caller: r.caller, tool: r.tool, method: r.method, count: 0, errors: 0, totalMs: 0, maxMs: 0 }));
    t.count++;
    if (!r.ok) t.errors++;
    t.totalMs += r.ms;
    if (r.ms > t.maxMs) t.maxMs = r.ms;
  }

  /** The last calls, newest first. */
  recent(): CallRecord[] {
    const ordered = this.#ring.length < RING_SIZE ? this.#ring : [...this.#ring.slice(this.#next), ...this.#ring.slice(0, this.#next)];
    return ordered.slice().reverse();
  }

  totals(): CallTotals[] {
    return [...this.#totals.values()].map((t) => ({ ...t }));
  }
}
