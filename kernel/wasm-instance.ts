// One instance of a wasm module, in the pool wasm-host.ts keeps: its engine (a
// worker thread or the kernel's thread) and whether it is booted. The pool gives
// it one call at a time. An instance lost to a timeout or a trap gets a fresh
// engine and is booted again at its next call, before that call runs, so calls
// that waited behind the failed one find it booted; the boot replays the
// module's registrations (wasm-registrations.ts) rather than adding them again.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { OnBootRequestSchema, OnBootResponseSchema } from '../proto/gen/microcore/v1/plugin_pb.js';
import { McError, mcError } from './errors.ts';
import type { KernelLog } from './log.ts';
import type { WasmManifest } from './manifest.ts';
import { tooLarge } from './message-limit.ts';
import { currentTrace, newTrace, type TraceContext } from './trace.ts';
import type { ExportName } from './wasm-channel.ts';
import { EngineFailure, type EngineOptions, type WasmEngine } from './wasm-engine.ts';
import { mib } from './wasm-memory-cap.ts';
import { WasmMain } from './wasm-main.ts';
import type { Replay } from './wasm-registrations.ts';
import { WasmThread } from './wasm-thread.ts';

export interface InstanceContext {
  identity: string;
  manifestFile: string;
  manifest: WasmManifest;
  log: KernelLog;
  /** Engine options without the host function, which each instance binds to itself. */
  engine: Omit<EngineOptions, 'mcCall'>;
  mcCall(request: Uint8Array | number, trace: TraceContext, instance: number, replay: Replay | undefined): Promise<Uint8Array>;
  /** A replay of the module's registrations, or undefined for the first boot (which records them). */
  replay(instance: number): Replay | undefined;
  /** An instance was booted again after a timeout or a trap ended it. */
  rebooted(): void;
}

export class WasmInstance {
  readonly index: number;
  #c: InstanceContext;
  #engine?: WasmEngine;
  #booted = false;
  #replay?: Replay;
  // Why the instance was lost, for the warning when it is booted again.
  #lostTo?: string;

  constructor(c: InstanceContext, index: number) {
    this.#c = c;
    this.index = index;
  }

  /** Starts its engine when it has none (at load, or after a loss). */
  async start(): Promise<void> {
    const c = this.#c;
    if (this.#engine?.alive) return;
    this.#booted = false;
    const o = { ...c.engine, mcCall: (request: Uint8Array | number, trace: TraceContext) => c.mcCall(request, trace, this.index, this.#replay) };
    try {
      this.#engine = c.manifest.mode === 'worker' ? await WasmThread.start(o) : await WasmMain.start(o);
    } catch (err) {
      const after = this.#lostTo ? ` after ${this.#lostTo}` : '';
      throw mcError('MC_ERR_WASM_LOAD', `${c.identity} module ${c.manifest.module} could not be instantiated${after} (${(err as Error).message})`, { plugin: c.identity }, err);
    }
  }

  /** Starts its engine if needed and boots the module in it (once, or again after a loss). */
  async ready(): Promise<void> {
    const c = this.#c;
    await this.start();
    if (this.#booted) return;
    this.#replay = c.replay(this.index);
    try {
      const out = await this.call('mc_on_boot', toBinary(OnBootRequestSchema, create(OnBootRequestSchema, { identity: c.identity, config: c.manifest.config })));
      const res = fromBinary(OnBootResponseSchema, out);
      if (res.error) throw new McError(res.error.code || 'MC_ERR_PLUGIN_BOOT', res.error.message, { plugin: c.identity, ...res.error.details });
      this.#replay?.finish();
    } finally {
      this.#replay = undefined;
    }
    this.#booted = true;
    if (this.#lostTo) {
      c.log.warn(`${c.identity} booted again: ${this.#lostTo} had ended its instance`, { plugin: c.identity, instance: String(this.index) });
      c.rebooted();
    }
    this.#lostTo = undefined;
  }

  /** Runs one export on the ready instance; failures come back as the kernel's errors. */
  async call(name: ExportName, input: Uint8Array): Promise<Uint8Array> {
    const c = this.#c;
    const engine = this.#engine;
    if (!engine?.alive) throw mcError('MC_ERR_WASM_LOAD', `${c.identity} is not loaded, so ${name} was not called`, { plugin: c.identity });
    const { insideWasm: _, ...trace } = currentTrace() ?? newTrace();
    try {
      return await engine.call(name, input, trace);
    } catch (err) {
      throw this.#failed(name, err);
    }
  }

  #failed(name: string, err: unknown): McError {
    const c = this.#c;
    const limits = c.manifest.limits;
    if (!(err instanceof EngineFailure)) return mcError('MC_ERR_WASM_TRAP', `${c.identity} ${name} failed: ${(err as Error)?.message ?? err}`, { plugin: c.identity }, err);
    switch (err.kind) {
      case 'guest':
        return mcError('MC_ERR_WASM_TRAP', `${c.identity} ${name} failed: ${err.message}`, { plugin: c.identity }, err);
      case 'too-large':
        return tooLarge(`${c.identity}'s output of ${name}`, c.identity, c.engine.messageLimit, err.size);
      case 'timeout':
        this.#lostTo = 'a timed-out call';
        return mcError('MC_ERR_WASM_TIMEOUT', `${c.identity} ${name} ran past ${limits.timeoutMs} ms (limits.timeoutMs)`, { plugin: c.identity }, err);
      case 'trap': {
        this.#lostTo = 'a trap';
        const cap = `${limits.memoryMaxPages} pages (${mib(limits.memoryMaxPages)}, limits.memoryMaxPages in ${c.manifestFile})`;
        return mcError(
          'MC_ERR_WASM_TRAP',
          `${c.identity} ${name} trapped (${err.message}); its memory is capped at ${cap}, and a module that runs out of it traps like this. The instance was discarded: a fresh one serves the next call`,
          { plugin: c.identity, memoryMaxPages: String(limits.memoryMaxPages) },
          err,
        );
      }
    }
  }

  /** Runs mc_on_shutdown when the module has one and the instance is booted. Never throws. */
  async shutdown(): Promise<void> {
    const engine = this.#engine;
    if (!engine?.alive) return;
    try {
      if (this.#booted && (await this.call('exists:mc_on_shutdown', new Uint8Array()))[0] === 1) await this.call('mc_on_shutdown', new Uint8Array());
    } catch (err) {
      this.#c.log.warn(`${this.#c.identity} mc_on_shutdown failed: ${(err as Error).message}`);
    }
    await engine.close().catch(() => undefined);
  }
}
