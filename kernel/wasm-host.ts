// Wasm modules through Extism: the module exports mc_on_boot / mc_invoke /
// mc_on_shutdown and imports one host function, mc_call, which carries a
// ToolCall through the gateway. The caller's identity is this host's; the trace
// rides the Extism call's host context. docs/protocol.md has the ABI.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import createPlugin, { type CallContext, type Plugin } from '@extism/extism';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { OnBootRequestSchema, OnBootResponseSchema, OnShutdownRequestSchema, ToolCallSchema, ToolResultSchema } from '../proto/gen/microcore/v1/plugin_pb.js';
import type { InvokeInput, InvokeOutput } from './contract.ts';
import { McError, mcError, toMcError } from './errors.ts';
import type { Gateway } from './gateway.ts';
import { decodeInvokeResponse, encodeInvoke } from './invoke-codec.ts';
import type { KernelLog } from './log.ts';
import type { WasmManifest } from './manifest.ts';
import type { PluginHost } from './plugin-host.ts';
import { currentTrace, newTrace, runInTrace, type TraceContext } from './trace.ts';

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

interface HostContext {
  trace: TraceContext;
}

export class WasmHost implements PluginHost {
  readonly hosting = 'wasm';
  readonly identity: string;
  readonly needs: readonly string[];
  #o: WasmOptions;
  #plugin?: Plugin;
  // An Extism instance is not reentrant: calls into it take turns.
  #queue: Promise<unknown> = Promise.resolve();
  // A timed-out call ends its worker; Extism starts a fresh instance with none of
  // the guest's state (its handler table). The next invoke boots it again first.
  #lostState = false;

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
    const log = this.#o.log;
    try {
      this.#plugin = await createPlugin(
        { wasm: [{ data: new Uint8Array(data) }], config: m.config },
        {
          useWasi: m.wasi,
          runInWorker: m.mode === 'worker',
          timeoutMs: m.mode === 'worker' ? m.limits.timeoutMs : null,
          allowedHosts: m.allowedHosts,
          ...(m.limits.memoryMaxPages ? { memory: { maxPages: m.limits.memoryMaxPages } } : {}),
          logger: { trace: log.debug, debug: log.debug, info: log.info, warn: log.warn, error: log.error, log: log.info } as unknown as Console,
          // An async function, not one returning a promise: Extism tells them apart by
          // constructor, and only an async one gets JSPI on the main thread.
          functions: { 'extism:host/user': { mc_call: async (cc: CallContext, offset: bigint) => this.#mcCall(cc, offset) } },
        },
      );
    } catch (err) {
      throw mcError('MC_ERR_WASM_LOAD', `${this.identity} module ${m.module} could not be instantiated (${(err as Error).message})`, { plugin: this.identity }, err);
    }
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

  async boot(): Promise<void> {
    const out = await this.#call('mc_on_boot', toBinary(OnBootRequestSchema, create(OnBootRequestSchema, { identity: this.identity, config: this.#o.manifest.config })));
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
    if (this.#lostState) await this.#reboot();
    return decodeInvokeResponse(this.identity, await this.#call('mc_invoke', encodeInvoke(handlerId, input)));
  }

  async #reboot(): Promise<void> {
    this.#lostState = false;
    this.#o.beforeReboot();
    try {
      await this.boot();
      this.#o.log.warn(`${this.identity} booted again: a timed-out call had ended its instance`, { plugin: this.identity });
    } catch (err) {
      this.#lostState = true;
      throw err;
    }
  }

  #call(name: string, input: Uint8Array): Promise<Uint8Array> {
    const plugin = this.#plugin;
    if (!plugin) return Promise.reject(mcError('MC_ERR_WASM_LOAD', `${this.identity} is not loaded, so ${name} was not called`, { plugin: this.identity }));
    const { insideWasm: _, ...trace } = currentTrace() ?? newTrace();
    const hostContext: HostContext = { trace };
    const run = async () => {
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
        const text = (err as Error).message ?? String(err);
        if (/timeout|timed out/i.test(text)) {
          this.#lostState = true;
          throw mcError('MC_ERR_WASM_TIMEOUT', `${this.identity} ${name} ran past ${this.#o.manifest.limits.timeoutMs} ms (limits.timeoutMs)`, { plugin: this.identity }, err);
        }
        throw mcError('MC_ERR_WASM_TRAP', `${this.identity} ${name} trapped: ${text}`, { plugin: this.identity }, err);
      }
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async shutdown(): Promise<void> {
    const plugin = this.#plugin;
    if (!plugin) return;
    if (await plugin.functionExists('mc_on_shutdown').catch(() => false)) {
      await this.#call('mc_on_shutdown', toBinary(OnShutdownRequestSchema, create(OnShutdownRequestSchema))).catch((err) => this.#o.log.warn(`${this.identity} mc_on_shutdown failed: ${(err as Error).message}`));
    }
    await plugin.close().catch(() => undefined);
  }
}
