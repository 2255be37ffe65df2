// One wasm instance on the kernel's own thread ("mode": "main"): Extism's
// foreground plugin, mc_call suspending the guest through JSPI while the tool
// runs. Nothing can stop a runaway call here: for trusted modules only.
import createPlugin, { type CallContext, type Plugin } from '@extism/extism';
import type { ExportName } from './wasm-channel.ts';
import { EngineFailure, type EngineOptions, type WasmEngine } from './wasm-engine.ts';
import type { TraceContext } from './trace.ts';

export class WasmMain implements WasmEngine {
  #plugin: Plugin;
  #alive = true;

  private constructor(plugin: Plugin) {
    this.#plugin = plugin;
  }

  static async start(o: EngineOptions): Promise<WasmMain> {
    const m = o.manifest;
    const plugin = await createPlugin(
      { wasm: [{ module: o.module, name: 'main' }], config: m.config },
      {
        useWasi: m.wasi,
        runInWorker: false,
        allowedHosts: m.allowedHosts,
        // Extism's own buffers (inputs, outputs, what the guest allocates through
        // Extism) live outside the guest's memory: the same cap applies to them.
        memory: { maxPages: m.limits.memoryMaxPages },
        logger: { trace: o.log.debug, debug: o.log.debug, info: o.log.info, warn: o.log.warn, error: o.log.error, log: o.log.info } as unknown as Console,
        // An async function, not one returning a promise: Extism tells them apart by
        // constructor, and only an async one gets JSPI on the main thread.
        functions: { 'extism:host/user': { mc_call: async (cc: CallContext, offset: bigint) => cc.store(await o.mcCall(cc.read(offset)?.bytes() ?? new Uint8Array(), cc.hostContext<TraceContext>())) } },
      },
    );
    return new WasmMain(plugin);
  }

  get alive(): boolean {
    return this.#alive;
  }

  async call(name: ExportName, input: Uint8Array, trace: TraceContext): Promise<Uint8Array> {
    try {
      if (name === 'exists:mc_on_shutdown') return Uint8Array.of((await this.#plugin.functionExists('mc_on_shutdown')) ? 1 : 0);
      const out = await this.#plugin.call(name, input, trace);
      return out?.bytes() ?? new Uint8Array();
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      if (message.startsWith('Plugin-originated error')) throw new EngineFailure('guest', message);
      // A trapped instance may hold all the memory it grew: let it go now.
      await this.close();
      throw new EngineFailure('trap', message);
    }
  }

  async close(): Promise<void> {
    if (!this.#alive) return;
    this.#alive = false;
    await this.#plugin.close().catch(() => undefined);
  }
}
