// Wasm modules through Extism: the module exports mc_on_boot / mc_invoke /
// mc_on_shutdown and imports one host function, mc_call, which carries a
// ToolCall through the gateway. The caller's identity is this host's; the trace
// rides the Extism call's host context. docs/protocol.md has the ABI. Calls take
// turns; the guest's memory is capped (wasm-memory-cap.ts), and an instance lost
// to a timeout or a trap is booted again inside the next call's turn.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import createPlugin, { type CallContext, type ManifestWasmModule, type Plugin } from '@extism/extism';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { OnBootRequestSchema, OnBootResponseSchema, OnShutdownRequestSchema, ToolCallSchema, ToolResultSchema } from '../proto/gen/microcore/v1/plugin_pb.js';
import type { InvokeInput, InvokeOutput } from './contract.ts';
import { McError, mcError, toMcError } from './errors.ts';
import type { Gateway } from './gateway.ts';
import { decodeInvokeResponse, encodeInvoke } from './invoke-codec.ts';
import type { KernelLog } from './log.ts';
import { withinLimit } from './message-limit.ts';
import type { WasmManifest } from './manifest.ts';
import type { PluginHost } from './plugin-host.ts';
import { currentTrace, newTrace, runInTrace, type TraceContext } from './trace.ts';
import { capMemory, mib } from './wasm-memory-cap.ts';

export interface WasmOptions {
  identity: string;
  dir: string;
  manifestFile: string;
  manifest: WasmManifest;
  needs: readonly string[];
  gateway: Gateway;
  log: KernelLog;
  /** Before the module boots again: its old subscriptions died with the old instance. */
  beforeReboot(): void;
}

// TypeScript declares WebAssembly only in its DOM lib, which this project leaves out.
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<CompiledModule> };
type CompiledModule = ManifestWasmModule['module'];

interface HostContext {
  trace: TraceContext;
}

// What the instance needs before its next call. boot: it is fresh (Extism replaced
// a timed-out worker, or the kernel a trapped instance) and has none of the
// guest's state, its handler table included. replace: it trapped, so it may have
// held all the memory the guest grew (wasm memory never shrinks) or been left
// half-way; it is discarded at once, and a fresh one started at the next call.
export const REPAIRS = ['boot', 'replace'] as const;
type Repair = (typeof REPAIRS)[number];

export class WasmHost implements PluginHost {
  readonly hosting = 'wasm';
  readonly identity: string;
  readonly needs: readonly string[];
  #o: WasmOptions;
  // Compiled once, memory capped; each fresh instance is made from it.
  #module?: CompiledModule;
  #plugin?: Plugin;
  // An Extism instance is not reentrant: calls into it take turns.
  #queue: Promise<unknown> = Promise.resolve();
  #repair?: Repair;

  constructor(o: WasmOptions) {
    this.#o = o;
    this.identity = o.identity;
    this.needs = o.needs;
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
    try {
      this.#module = await WebAssembly.compile(capped);
      this.#plugin = await this.#newPlugin(this.#module);
    } catch (err) {
      throw mcError('MC_ERR_WASM_LOAD', `${this.identity} module ${m.module} could not be instantiated (${(err as Error).message})`, { plugin: this.identity }, err);
    }
  }

  #newPlugin(module: CompiledModule): Promise<Plugin> {
    const m = this.#o.manifest;
    const log = this.#o.log;
    return createPlugin(
      { wasm: [{ module, name: 'main' }], config: m.config },
      {
        useWasi: m.wasi,
        runInWorker: m.mode === 'worker',
        timeoutMs: m.mode === 'worker' ? m.limits.timeoutMs : null,
        allowedHosts: m.allowedHosts,
        // Extism's own buffers (inputs, outputs, what the guest allocates through
        // Extism) live outside the guest's memory: the same cap applies to them.
        memory: { maxPages: m.limits.memoryMaxPages },
        logger: { trace: log.debug, debug: log.debug, info: log.info, warn: log.warn, error: log.error, log: log.info } as unknown as Console,
        // An async function, not one returning a promise: Extism tells them apart by
        // constructor, and only an async one gets JSPI on the main thread.
        functions: { 'extism:host/user': { mc_call: async (cc: CallContext, offset: bigint) => this.#mcCall(cc, offset) } },
      },
    );
  }

  // Must never throw: a host function that throws leaves the Extism instance
  // unable to finish its next call. Every failure goes back as a ToolResult error.
  async #mcCall(cc: CallContext, offset: bigint): Promise<bigint> {
    const caller = { identity: this.identity, needs: this.needs };
    let result;
    try {
      const trace = cc.hostContext<HostContext | undefined>()?.trace ?? newTrace();
      const call = fromBinary(ToolCallSchema, cc.read(offset)?.bytes() ?? new Uint8Array());
      const response = await runInTrace({ ...trace, insideWasm: this.identity }, () => this.#o.gateway.call(caller, call.tool, call.method, call.request));
      result = create(ToolResultSchema, { outcome: { case: 'response', value: response } });
    } catch (err) {
      const e = toMcError(err, 'MC_ERR_GATEWAY_BAD_MESSAGE', `${this.identity} mc_call`);
      result = create(ToolResultSchema, { outcome: { case: 'error', value: { code: e.code, message: e.message, details: e.details } } });
    }
    return cc.store(toBinary(ToolResultSchema, result));
  }

  boot(): Promise<void> {
    return this.#turn(() => this.#boot());
  }

  async #boot(): Promise<void> {
    const out = await this.#callNow('mc_on_boot', toBinary(OnBootRequestSchema, create(OnBootRequestSchema, { identity: this.identity, config: this.#o.manifest.config })));
    const res = fromBinary(OnBootResponseSchema, out);
    if (res.error) throw new McError(res.error.code || 'MC_ERR_PLUGIN_BOOT', res.error.message, { plugin: this.identity, ...res.error.details });
  }

  async invoke(handlerId: string, input: InvokeInput): Promise<InvokeOutput> {
    // Invoked from inside one of our own calls (a bus request we would answer
    // ourselves): the instance is busy until that call returns, so this could
    // only wait out its timeout. Fail now instead.
    if (currentTrace()?.insideWasm === this.identity) {
      throw mcError('MC_ERR_WASM_REENTRANT', `${this.identity} would have to handle '${input.case === 'event' ? input.value.topic : input.value.route}' while its own call is still running`, { plugin: this.identity });
    }
    const limit = this.#o.gateway.messageLimit;
    const out = await this.#turn(async () => {
      // In its turn, not at entry: calls that queued behind the one that failed
      // must find the instance booted again.
      if (this.#repair) await this.#repairNow();
      return this.#callNow('mc_invoke', withinLimit(encodeInvoke(handlerId, input), limit, `the call of ${this.identity}'s handler ${handlerId}`, this.identity));
    });
    return decodeInvokeResponse(this.identity, withinLimit(out, limit, `${this.identity}'s answer to handler ${handlerId}`, this.identity));
  }

  /** Starts a fresh instance for a discarded one, then boots the module again. Runs inside a turn. */
  async #repairNow(): Promise<void> {
    const trapped = this.#repair === 'replace';
    if (!this.#plugin) {
      try {
        this.#plugin = await this.#newPlugin(this.#module!);
      } catch (err) {
        throw mcError('MC_ERR_WASM_LOAD', `${this.identity} could not start a fresh instance after a trap (${(err as Error).message})`, { plugin: this.identity }, err);
      }
    }
    this.#o.beforeReboot();
    this.#repair = undefined;
    try {
      await this.#boot();
    } catch (err) {
      // Still unbooted (a trap or timeout in mc_on_boot asked for more): the next turn tries again.
      this.#repair ??= 'boot';
      throw err;
    }
    this.#o.log.warn(`${this.identity} booted again: ${trapped ? 'a trap' : 'a timed-out call'} had ended its instance`, { plugin: this.identity });
  }

  /** Runs `step` when every earlier call into the instance has finished. */
  #turn<T>(step: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(step, step);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #callNow(name: string, input: Uint8Array): Promise<Uint8Array> {
    const plugin = this.#plugin;
    if (!plugin) throw mcError('MC_ERR_WASM_LOAD', `${this.identity} is not loaded, so ${name} was not called`, { plugin: this.identity });
    const { insideWasm: _, ...trace } = currentTrace() ?? newTrace();
    const hostContext: HostContext = { trace };
    try {
      const out = await plugin.call(name, input, hostContext);
      const bytes = out?.bytes() ?? new Uint8Array();
      // Extism (2.0.0-rc13) keeps a worker instance's memory blocks from call to
      // call and ships all of them across threads on every host call, so each
      // tool call gets slower than the last. Dropping them after each call keeps
      // a call's cost flat.
      await plugin.reset();
      return bytes;
    } catch (err) {
      const failure = this.#failed(name, err);
      // Free what a trapped instance holds now, not at the module's next call.
      if (this.#repair === 'replace') await this.#discard();
      throw failure;
    }
  }

  async #discard(): Promise<void> {
    const old = this.#plugin;
    this.#plugin = undefined;
    await old?.close().catch((err) => this.#o.log.warn(`${this.identity} could not close its trapped instance: ${(err as Error).message}`, { plugin: this.identity }));
  }

  #failed(name: string, err: unknown): McError {
    const text = (err as Error).message ?? String(err);
    const limits = this.#o.manifest.limits;
    if (/timeout|timed out/i.test(text)) {
      this.#repair = 'boot';
      return mcError('MC_ERR_WASM_TIMEOUT', `${this.identity} ${name} ran past ${limits.timeoutMs} ms (limits.timeoutMs)`, { plugin: this.identity }, err);
    }
    // The guest returned an error code of its own: the instance itself is fine.
    if (text.startsWith('Plugin-originated error')) return mcError('MC_ERR_WASM_TRAP', `${this.identity} ${name} failed: ${text}`, { plugin: this.identity }, err);
    this.#repair = 'replace';
    const cap = `${limits.memoryMaxPages} pages (${mib(limits.memoryMaxPages)}, limits.memoryMaxPages in ${this.#o.manifestFile})`;
    return mcError(
      'MC_ERR_WASM_TRAP',
      `${this.identity} ${name} trapped (${text}); its memory is capped at ${cap}, and a module that runs out of it traps like this. The instance was discarded: a fresh one serves the next call`,
      { plugin: this.identity, memoryMaxPages: String(limits.memoryMaxPages) },
      err,
    );
  }

  async shutdown(): Promise<void> {
    if (!this.#plugin) return;
    await this.#turn(async () => {
      // An instance awaiting repair is not booted (or is discarded): nothing to shut down.
      const plugin = this.#plugin;
      if (!plugin || this.#repair) return;
      if (await plugin.functionExists('mc_on_shutdown').catch(() => false)) {
        await this.#callNow('mc_on_shutdown', toBinary(OnShutdownRequestSchema, create(OnShutdownRequestSchema))).catch((err) => this.#o.log.warn(`${this.identity} mc_on_shutdown failed: ${(err as Error).message}`));
      }
    });
    await this.#plugin?.close().catch(() => undefined);
  }
}
