// The state tool: an in-memory key/value store with optional expiry. Each
// caller has its own namespace, so plugins cannot read each other's keys.
// Expired entries are dropped when read and by a sweep once a minute.
// Per process: with DATABASE_URL=postgres://… the store is tools/state-postgres,
// which every kernel on that database shares.
import { isPostgresUrl } from '../db-common/database-url.ts';
import { durationMs, mcError, type CallContext, type JsValue, type Plain, type ToolContext, type ToolMethods } from '../../kernel/index.ts';
import type { StateDeleteRequest, StateGetRequest, StateSetRequest } from '../../proto/gen/microcore/v1/state_pb.js';

interface Entry {
  value: JsValue;
  /** Milliseconds since the epoch, or Infinity. */
  expires: number;
}

const SWEEP_MS = 60_000;

export default class MemoryState implements ToolMethods<'state'> {
  static readonly contract = 'state';
  static enabled(env: ToolContext['env']): boolean {
    return !isPostgresUrl(env.DATABASE_URL);
  }
  #entries = new Map<string, Entry>();
  #sweep?: NodeJS.Timeout;

  setup(): void {
    this.#sweep = setInterval(() => this.#dropExpired(), SWEEP_MS).unref();
  }

  get(input: Plain<StateGetRequest>, call: CallContext) {
    checkKey(input.key, call, 'get');
    const k = key(call, input.key);
    const entry = this.#entries.get(k);
    if (!entry || entry.expires <= Date.now()) {
      this.#entries.delete(k);
      return { found: false, value: null };
    }
    return { found: true, value: entry.value };
  }

  set(input: Plain<StateSetRequest>, call: CallContext) {
    // A TTL sets no timer (expiry is checked on read), so it may exceed a timer's range.
    checkKey(input.key, call, 'set');
    const ttl = durationMs(input.ttlMs, `${call.caller} state.set ttlMs`, 0, 'MC_ERR_INVALID_ARGUMENT', Number.MAX_SAFE_INTEGER);
    this.#entries.set(key(call, input.key), { value: input.value ?? null, expires: ttl > 0 ? Date.now() + ttl : Infinity });
    return {};
  }

  delete(input: Plain<StateDeleteRequest>, call: CallContext) {
    checkKey(input.key, call, 'delete');
    const k = key(call, input.key);
    // An expired entry the sweep has not reached was already gone for a reader: not "deleted" (as on PostgreSQL).
    const live = (this.#entries.get(k)?.expires ?? 0) > Date.now();
    this.#entries.delete(k);
    return { deleted: live };
  }

  shutdown(): void {
    clearInterval(this.#sweep);
    this.#entries.clear();
  }

  #dropExpired(): void {
    const now = Date.now();
    for (const [k, e] of this.#entries) if (e.expires <= now) this.#entries.delete(k);
  }
}

/** The longest key, in UTF-8 bytes: one limit for every store (PostgreSQL's index takes about 2.7 kB). */
export const MAX_KEY_BYTES = 1024;

export function checkKey(key: string, call: CallContext, method: string): void {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} state.${method}: a key of ${Buffer.byteLength(key)} bytes is longer than ${MAX_KEY_BYTES}`, { field: 'key' }, undefined, 'Use a shorter key (a hash of a long one, say); values may be large, keys may not.');
}

function key(call: CallContext, k: string): string {
  return `${call.caller}\u0000${k}`;
}
