// Wasm modules through Extism: the module exports mc_on_boot / mc_invoke /
// mc_on_shutdown and imports one host function, mc_call, which carries a
// ToolCall through the gateway. The caller's identity is this host's; the trace
// is the one of the call that is running. docs/protocol.md has the ABI.
// A worker-mode module runs on a pool of instances (manifest `instances`), each
// on a thread of the kernel's own (wasm-thread.ts), all made from one compiled
// module: calls run in parallel, each instance serving one at a time. A
// main-mode module has one instance, on the kernel's thread (wasm-main.ts).
// Each instance's memory is capped (wasm-memory-cap.ts); one lost to a timeout
// or a trap is booted again inside its next call (wasm-instance.ts).
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { ToolCallSchema, ToolResultSchema } from '../proto/gen/microcore/v1/plugin_pb.js';
import type { InvokeInput, InvokeOutput } from './contract.ts';
import { mcError, toMcError } from './errors.ts';
import type { Gateway, GatewayCaller } from './gateway.ts';
import { decodeInvokeResponse, encodeInvoke } from './invoke-codec.ts';
import type { KernelLog } from './log.ts';
import { tooLarge, withinLimit } from './message-limit.ts';
import type { WasmManifest } from './manifest.ts';
import type { PluginHost } from './plugin-host.ts';
import { currentTrace, runInTrace, type TraceContext } from './trace.ts';
import type { CompiledModule } from './wasm-engine.ts';
import { WasmInstance, type InstanceContext } from './wasm-instance.ts';
import { capMemory } from './wasm-memory-cap.ts';
import { WasmPool } from './wasm-pool.ts';
import { InFlight } from './in-flight.ts';
import { registrationKey, Registrations, type Replay } from './wasm-registrations.ts';

export interface WasmOptions {
  identity: string;
  dir: string;
  manifestFile: string;
  manifest: WasmManifest;
  needs: readonly string[];
  gateway: Gateway;
  log: KernelLog;
  /** An instance was booted again after a timeout or a trap (counted as a restart in the status). */
  onReboot(): void;
}

// TypeScript declares WebAssembly only in its DOM lib, which this project leaves out.
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<CompiledModule> };

export class WasmHost implements PluginHost {
  readonly hosting = 'wasm';
  readonly identity: string;
  readonly needs: readonly string[];
  #o: WasmOptions;
  #registrations: Registrations;
  #pool?: WasmPool;
  #inFlight = new InFlight();
  #caller: GatewayCaller;

  constructor(o: WasmOptions) {
    this.#o = o;
    this.identity = o.identity;
    this.needs = o.needs;
    this.#caller = { identity: o.identity, needs: o.needs, settings: o.manifest.tools };
    this.#registrations = new Registrations(o.identity);
  }

  /** How many instances serve the module: the manifest's `instances` in worker mode, one on the main thread. */
  get size(): number {
    return this.#o.manifest.mode === 'worker' ? this.#o.manifest.instances : 1;
  }

  async start(): Promise<void> {
    const m = this.#o.manifest;
    const path = isAbsolute(m.module) ? m.module : join(this.#o.dir, m.module);
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (err) {
      throw mcError('MC_ERR_WASM_LOAD', `${this.identity} (${this.#o.manifestFile}) module ${m.module} cannot be read (${(err as Error).message})`, { plugin: this.identity, field: 'module' }, err);
    }
    const sha256 = createHash('sha256').update(data).digest('hex');
    if (m.sha256 && m.sha256.toLowerCase() !== sha256) {
      throw mcError('MC_ERR_WASM_LOAD', `${this.identity} module ${m.module} has sha256 ${sha256}, but ${this.#o.manifestFile} says ${m.sha256}`, { plugin: this.identity, field: 'sha256' });
    }
    // The hash is the file's; the kernel runs the copy whose memory limits it rewrote.
    const capped = capMemory(new Uint8Array(data), m.limits.memoryMaxPages, `${this.identity} module ${m.module} could not be instantiated: it`, { plugin: this.identity });
    let module: CompiledModule;
    try {
      module = await WebAssembly.compile(capped);
    } catch (err) {
      throw mcError('MC_ERR_WASM_LOAD', `${this.identity} module ${m.module} could not be instantiated (${(err as Error).message})`, { plugin: this.identity }, err);
    }
    const log = this.#o.log;
    const context: InstanceContext = {
      identity: this.identity,
      manifestFile: this.#o.manifestFile,
      manifest: m,
      log,
      engine: { module, manifest: m, messageLimit: this.#o.gateway.messageLimit, log: { debug: log.debug, info: log.info, warn: log.warn, error: log.error } },
      mcCall: (request, trace, instance, replay) => this.#mcCall(request, trace, instance, replay),
      replay: (instance) => (this.#registrations.recorded ? this.#registrations.replay(instance) : undefined),
      rebooted: () => this.#o.onReboot(),
    };
    const instances = Array.from({ length: this.size }, (_, i) => new WasmInstance(context, i));
    // The first engine starts now, so a module that cannot be instantiated fails
    // at load; the pool starts the others when calls find it busy (wasm-pool.ts).
    await instances[0]!.start();
    this.#pool = new WasmPool(instances, log);
  }

  // Must never throw (wasm-engine.ts McCall): every failure goes back as a ToolResult error.
  async #mcCall(request: Uint8Array | number, trace: TraceContext, instance: number, replay: Replay | undefined): Promise<Uint8Array> {
    const caller = this.#caller;
    let result;
    let key: string | undefined;
    let call;
    try {
      if (typeof request === 'number') throw tooLarge(`${this.identity}'s tool call`, this.identity, this.#o.gateway.messageLimit, request);
      call = fromBinary(ToolCallSchema, request);
      key = registrationKey(call);
      if (key && replay) return replay.answer(key, call.request);
      // Made by a handler, not at boot: only this instance knows the handler.
      const pin = key && this.#registrations.recorded ? this.#registrations.pinFor(key, call.request, instance) : undefined;
      const response = await runInTrace({ ...trace, insideWasm: this.identity }, () => this.#o.gateway.call(caller, call!.tool, call!.method, call!.request));
      result = toBinary(ToolResultSchema, create(ToolResultSchema, { outcome: { case: 'response', value: response } }));
      pin?.();
    } catch (err) {
      const e = toMcError(err, 'MC_ERR_GATEWAY_BAD_MESSAGE', `${this.identity} mc_call`);
      result = toBinary(ToolResultSchema, create(ToolResultSchema, { outcome: { case: 'error', value: { code: e.code, message: e.message, details: e.details } } }));
    }
    // The first boot's registrations, refused ones too: the others must get the same answers.
    if (key && call && !this.#registrations.recorded) this.#registrations.record(key, call.request, result);
    return result;
  }

  /** Boots the first instance: its registrations are the module's, which the others replay when the pool starts them. */
  async boot(): Promise<void> {
    const pool = this.#pool!;
    await pool.with(0, (i) => i.ready());
    this.#registrations.seal();
  }

  invoke(handlerId: string, input: InvokeInput): Promise<InvokeOutput> {
    return this.#inFlight.run(() => this.#invoke(handlerId, input));
  }

  idle(): Promise<void> {
    return this.#inFlight.idle();
  }

  retire(retired: boolean): void {
    this.#caller.retired = retired;
  }

  async #invoke(handlerId: string, input: InvokeInput): Promise<InvokeOutput> {
    // Invoked from inside one of our own calls (a bus request we would answer
    // ourselves): with every instance busy this could only wait out its timeout,
    // and with one instance it always would. Fail now instead.
    if (currentTrace()?.insideWasm === this.identity) {
      throw mcError('MC_ERR_WASM_REENTRANT', `${this.identity} would have to handle '${input.case === 'event' ? input.value.topic : input.value.route}' while its own call is still running`, { plugin: this.identity });
    }
    const limit = this.#o.gateway.messageLimit;
    const pool = this.#pool;
    if (!pool) throw mcError('MC_ERR_WASM_LOAD', `${this.identity} is not loaded, so handler ${handlerId} was not called`, { plugin: this.identity });
    const request = withinLimit(encodeInvoke(handlerId, input), limit, `the call of ${this.identity}'s handler ${handlerId}`, this.identity);
    const step = async (instance: WasmInstance) => {
      // In its turn, not at entry: calls that waited behind one that failed
      // must find the instance booted again.
      await instance.ready();
      return instance.call('mc_invoke', request);
    };
    // A handler added by another handler lives in the one instance that added it.
    const pinned = this.#registrations.pinned(handlerId);
    const out = await (pinned === undefined ? pool.any(step) : pool.with(pinned, step));
    return decodeInvokeResponse(this.identity, withinLimit(out, limit, `${this.identity}'s answer to handler ${handlerId}`, this.identity));
  }

  async shutdown(): Promise<void> {
    const pool = this.#pool;
    if (!pool) return;
    await Promise.all(pool.instances.map((_, n) => pool.with(n, (i) => i.shutdown())));
  }
}
