// The last log lines of every identity (the kernel, tools, plugins), kept for
// the live log view (/system/logs/stream). The logger tool fills it with each
// line it writes; it writes them on stdout as before, and the ring forgets.
// Lines are numbered in the order they were kept (kernel/seq-ring.ts).
import { SeqRing } from './seq-ring.ts';

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
  #lines = new SeqRing<LogLine>(KEEP);

  add(level: LogLevelName, source: string, message: string, fields: Record<string, unknown>, traceId: string, at = Date.now()): void {
    this.#lines.add({ seq: 0, at, level, source, message, fields, traceId });
  }

  /** The seq of the newest line; 0 before the first. */
  get lastSeq(): number {
    return this.#lines.lastSeq;
  }

  /** The seq of the oldest line still kept (1 until the ring wraps). */
  get oldestSeq(): number {
    return this.#lines.oldestSeq;
  }

  /**
   * Lines newest first: only those after `afterSeq`, at `minLevel` or above when
   * given, at most `limit` (0: all kept). The lines themselves: never changed
   * once kept, so readers share them (and must not change them).
   */
  list(afterSeq = 0, limit = 0, minLevel?: LogLevelName): LogLine[] {
    const floor = minLevel ? LOG_LEVELS.indexOf(minLevel) : 0;
    return this.#lines.list(afterSeq, limit, floor > 0 ? (line) => LOG_LEVELS.indexOf(line.level) >= floor : undefined);
  }
}
