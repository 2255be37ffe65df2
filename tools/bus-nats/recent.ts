// The last N ids seen, with a value each: a ring of ids beside a map, so the
// oldest goes out in constant time (a Map or Set trimmed by its first key scans
// past every entry deleted before it, which on a per-event path adds up).
export class Recent<V = true> {
  #values = new Map<string, V>();
  #ids: (string | undefined)[];
  #next = 0;

  constructor(size: number) {
    this.#ids = new Array(size);
  }

  get(id: string): V | undefined {
    return this.#values.get(id);
  }

  has(id: string): boolean {
    return this.#values.has(id);
  }

  /** Keeps `value` under `id`, forgetting the oldest id once full; returns `value`. */
  remember(id: string, value: V): V {
    if (this.#values.has(id)) return (this.#values.set(id, value), value);
    const oldest = this.#ids[this.#next];
    if (oldest !== undefined) this.#values.delete(oldest);
    this.#ids[this.#next] = id;
    this.#next = (this.#next + 1) % this.#ids.length;
    this.#values.set(id, value);
    return value;
  }
}
