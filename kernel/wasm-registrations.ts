// A module's registrations (routes, streams, auth validators, subscriptions)
// happen once, however many instances serve it. The first instance's mc_on_boot
// registers for real and is recorded; every other instance, and any instance
// booted again after a timeout or a trap, replays: each registration it makes is
// answered with the recorded answer (the same subscription ids, so its handler
// table matches the kernel's), provided it asks the same thing in the same
// order. The SDKs number handlers in registration order (sdk/rust registry.rs,
// sdk/go), so a module whose boot does not depend on guest state always does.
import type { MessageShape } from '@bufbuild/protobuf';
import type { ToolCallSchema } from '../proto/gen/microcore/v1/plugin_pb.js';
import { mcError } from './errors.ts';

const REGISTRATIONS = new Set(['http.addEndpoint', 'http.addStream', 'http.addAuthValidator', 'bus.subscribe', 'bus.unsubscribe']);

type ToolCall = MessageShape<typeof ToolCallSchema>;

interface Entry {
  key: string;
  request: Uint8Array;
  result: Uint8Array;
}

export function registrationKey(call: ToolCall): string | undefined {
  const key = `${call.tool}.${call.method.charAt(0).toLowerCase()}${call.method.slice(1)}`;
  return REGISTRATIONS.has(key) ? key : undefined;
}

export class Registrations {
  #identity: string;
  #entries: Entry[] = [];
  #recorded = false;

  constructor(identity: string) {
    this.#identity = identity;
  }

  /** True once the first boot succeeded: later boots replay. */
  get recorded(): boolean {
    return this.#recorded;
  }

  /** The first boot succeeded: what it registered is the module's registrations. */
  seal(): void {
    this.#recorded = true;
  }

  /** Forgets a failed first boot's registrations (the kernel removes the plugin's). */
  clear(): void {
    this.#entries = [];
  }

  record(key: string, request: Uint8Array, result: Uint8Array): void {
    this.#entries.push({ key, request, result });
  }

  /** A replay of one boot: answers its registrations in order. */
  replay(instance: number): Replay {
    return new Replay(this.#identity, instance, this.#entries);
  }
}

export class Replay {
  #identity: string;
  #instance: number;
  #entries: readonly Entry[];
  #next = 0;

  constructor(identity: string, instance: number, entries: readonly Entry[]) {
    this.#identity = identity;
    this.#instance = instance;
    this.#entries = entries;
  }

  /** The recorded ToolResult for this registration, or the error saying how it differs. */
  answer(key: string, request: Uint8Array): Uint8Array {
    const entry = this.#entries[this.#next++];
    if (!entry || entry.key !== key || !sameBytes(entry.request, request)) {
      const first = entry ? `${entry.key} (${describe(entry.request)})` : 'nothing more';
      throw this.#differs(`made registration ${this.#next} as ${key} (${describe(request)}) where instance 0 made ${first}`);
    }
    return entry.result;
  }

  /** After mc_on_boot returned: every registration must have been made again. */
  finish(): void {
    if (this.#next < this.#entries.length) throw this.#differs(`made ${this.#next} registrations where instance 0 made ${this.#entries.length}`);
  }

  #differs(what: string) {
    return mcError(
      'MC_ERR_PLUGIN_BOOT',
      `${this.#identity} instance ${this.#instance} ${what}. Every instance of a wasm module boots with the same mc_on_boot, and the kernel keeps instance 0's registrations; a module's registrations must not depend on guest state (or set "instances": 1 in plugin.json)`,
      { plugin: this.#identity, instance: String(this.#instance) },
    );
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function describe(request: Uint8Array): string {
  return `a request of ${request.length} bytes`;
}
