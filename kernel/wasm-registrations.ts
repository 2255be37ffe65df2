// A module's registrations (routes, streams, auth validators, subscriptions)
// happen once, however many instances serve it. The first instance's mc_on_boot
// registers for real and is recorded; every other instance, and any instance
// booted again after a timeout or a trap, replays: each registration it makes is
// answered with the recorded answer (the same subscription ids, so its handler
// table matches the kernel's), provided it asks the same thing in the same
// order. The SDKs number handlers in registration order (sdk/rust registry.rs,
// sdk/go), so a module whose boot does not depend on guest state always does.
// A registration a handler makes later exists in its own instance only: its
// handler is pinned there, and every call of it goes to that instance.
import { fromBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { SubscribeRequestSchema } from '../proto/gen/microcore/v1/bus_pb.js';
import { AddAuthValidatorRequestSchema, AddEndpointRequestSchema, AddStreamRequestSchema } from '../proto/gen/microcore/v1/http_pb.js';
import type { ToolCallSchema } from '../proto/gen/microcore/v1/plugin_pb.js';
import { mcError } from './errors.ts';

/** The registrations that name a handler, by the request that carries its id. */
const WITH_HANDLER: Record<string, DescMessage> = {
  'http.addEndpoint': AddEndpointRequestSchema,
  'http.addStream': AddStreamRequestSchema,
  'http.addAuthValidator': AddAuthValidatorRequestSchema,
  'bus.subscribe': SubscribeRequestSchema,
};

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
  #pins = new Map<string, number>();

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

  record(key: string, request: Uint8Array, result: Uint8Array): void {
    this.#entries.push({ key, request, result });
  }

  /** The instance a handler added after boot lives in. */
  pinned(handlerId: string): number | undefined {
    return this.#pins.get(handlerId);
  }

  /**
   * For a registration made after boot by `instance`: what to call once the
   * kernel accepted it (pins its handler there), or the error when another
   * instance already added a handler of that id (each numbers its own).
   */
  pinFor(key: string, request: Uint8Array, instance: number): (() => void) | undefined {
    const schema = WITH_HANDLER[key];
    if (!schema) return undefined;
    const handlerId = (fromBinary(schema, request) as unknown as { handlerId: string }).handlerId;
    const owner = this.#pins.get(handlerId);
    if (owner !== undefined && owner !== instance) {
      throw mcError('MC_ERR_CONFLICT', `${this.#identity} instance ${instance} added handler ${handlerId} (${key}) after boot, but instance ${owner} already added a handler of that id; each instance numbers its own handlers`, { plugin: this.#identity, handlerId }, undefined, 'Make the registration in mc_on_boot (every instance then has it), or set "instances": 1 in plugin.json.');
    }
    return () => this.#pins.set(handlerId, instance);
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
