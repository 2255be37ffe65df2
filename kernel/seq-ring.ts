// The last `keep` entries of a stream (trace nodes, log lines), numbered in the
// order they were kept (`seq`, from 1), so a live view can ask for what is newer
// than the last entry it saw, and learn from oldestSeq that it missed some.
// Nothing else is kept: whoever adds to an entry later holds the entry itself.

export class SeqRing<T extends { seq: number }> {
  #ring: (T | undefined)[];
  #next = 0;
  #seq = 0;
  readonly keep: number;

  constructor(keep: number) {
    this.keep = keep;
    this.#ring = new Array(keep);
  }

  /** Keeps `entry` under the next seq (set on it), forgetting the oldest when full. */
  add(entry: T): T {
    entry.seq = ++this.#seq;
    this.#ring[this.#next] = entry;
    this.#next = (this.#next + 1) % this.keep;
    return entry;
  }

  /** The seq of the newest entry; 0 before the first. */
  get lastSeq(): number {
    return this.#seq;
  }

  /** The seq of the oldest entry still kept (1 until the ring wraps). */
  get oldestSeq(): number {
    return this.#seq > this.keep ? this.#seq - this.keep + 1 : 1;
  }

  /** Entries newest first: those after `afterSeq` that `wanted` takes, at most `limit` (0: all kept). The entries themselves, not copies. */
  list(afterSeq = 0, limit = 0, wanted?: (entry: T) => boolean): T[] {
    const out: T[] = [];
    for (let i = 1; i <= this.keep && (limit <= 0 || out.length < limit); i++) {
      const entry = this.#ring[(this.#next - i + this.keep) % this.keep];
      if (!entry || entry.seq <= afterSeq) break;
      if (!wanted || wanted(entry)) out.push(entry);
    }
    return out;
  }
}
