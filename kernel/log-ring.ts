// The last log lines of every identity (the kernel, tools, plugins), kept for
// the live log view (/system/logs/stream). The logger tool fills it with each
// line it writes; it writes them on stdout as before, and the ring forgets.
// Lines are numbered in the order they were kept (`seq`, from 1), so a view can
// ask for what is newer than the last line it saw.

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

export interface LogLine {
  seq: number;
  /** Milliseconds since the Unix epoch. */
  at: number;
  level: LogLevelName;
  /** The identity that logged it: a plugin's, `kernel`, `tool/<name>`. */
  source: string;
  message: string;
  /** The line's fields as written (JSON-safe: the logger renders bigint and bytes). */
  fields: Record<string, unknown>;
  /** The trace being handled when it was logged; empty outside one. */
  traceId: string;
}

const KEEP = 1000;

export class LogRing {
  #ring: (LogLine | undefined)[] = new Array(KEEP);
  #next = 0;
  #seq = 0;

  add(level: LogLevelName, source: string, message: string, fields: Record<string, unknown>, traceId: string, at = Date.now()): void {
    this.#ring[this.#next] = { seq: ++this.#seq, at, level, source, message, fields, traceId };
    this.#next = (this.#next + 1) % KEEP;
  }

  /** The seq of the newest line; 0 before the first. */
  get lastSeq(): number {
    return this.#seq;
  }

  /** The seq of the oldest line still kept (1 until the ring wraps). */
  get oldestSeq(): number {
    return this.#seq > KEEP ? this.#seq - KEEP + 1 : 1;
  }

  /**
   * Lines newest first: only those after `afterSeq`, at `minLevel` or above when
   * given, at most `limit` (0: all kept). The lines themselves: never changed
   * once kept, so readers share them (and must not change them).
   */
  list(afterSeq = 0, limit = 0, minLevel?: LogLevelName): LogLine[] {
    const floor = minLevel ? LOG_LEVELS.indexOf(minLevel) : 0;
    const out: LogLine[] = [];
    for (let i = 1; i <= KEEP && (limit <= 0 || out.length < limit); i++) {
      const line = this.#ring[(this.#next - i + KEEP) % KEEP];
      if (!line || line.seq <= afterSeq) break;
      if (LOG_LEVELS.indexOf(line.level) >= floor) out.push(line);
    }
    return out;
  }
}
