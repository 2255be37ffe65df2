// Native TypeScript plugins: constructed in the kernel's process with their tool
// proxies; their handler functions live in a table keyed by the ids the proxies
// hand out.
import type { Answer, InvokeInput, InvokeOutput } from './contract.ts';
import { mcError, toMcError } from './errors.ts';
import { InFlight } from './in-flight.ts';
import type { KernelLog } from './log.ts';
import type { PluginHost } from './plugin-host.ts';
import { isReply } from './reply.ts';
import type { HandlerTable } from './tool-proxy.ts';
import type { JsValue } from './values.ts';

export interface NativePlugin {
  onBoot?(): unknown;
  onShutdown?(): unknown;
}

function output(input: InvokeInput, result: unknown): InvokeOutput {
  if (input.case !== 'http') return { case: 'value', value: (result ?? null) as JsValue };
  return { case: 'http', value: isReply(result) ? { status: result.status, body: result.body, headers: result.headers } : { body: (result ?? null) as JsValue } };
}

export class NativeHandlers implements HandlerTable {
  #handlers = new Map<string, (input: unknown) => unknown>();
  /** Set while a new version of the plugin boots or serves (hot-swap.ts): whatever this one registered now would be taken for the new one's. */
  retiredBy?: string;

  addHandler(fn: (input: never) => unknown): string {
    if (this.retiredBy) throw mcError('MC_ERR_PLUGIN_BOOT', `${this.retiredBy} is being replaced by a new version: its previous version can add no endpoint, subscription or validator`, { plugin: this.retiredBy }, undefined, 'Add handlers in onBoot; a handler that registers more must finish before the plugin is swapped.');
    const id = `n${this.#handlers.size + 1}`;
    this.#handlers.set(id, fn as (input: unknown) => unknown);
    return id;
  }

  get(id: string): ((input: unknown) => unknown) | undefined {
    return this.#handlers.get(id);
  }
}

export class NativeHost implements PluginHost {
  readonly hosting = 'native';
  readonly identity: string;
  readonly needs: readonly string[];
  #plugin: NativePlugin;
  #handlers: NativeHandlers;
  #log: KernelLog;
  // Handlers still running: those that answered with a promise.
  #inFlight = new InFlight();

  constructor(identity: string, needs: readonly string[], plugin: NativePlugin, handlers: NativeHandlers, log: KernelLog) {
    this.identity = identity;
    this.needs = needs;
    this.#plugin = plugin;
    this.#handlers = handlers;
    this.#log = log;
  }

  async start(): Promise<void> {}

  async boot(): Promise<void> {
    await this.#plugin.onBoot?.();
  }

  // Synchronous when the handler is: most event handlers and many endpoints
  // return a value, and a promise per call was a large part of what a bus
  // delivery or a request cost.
  invoke(handlerId: string, input: InvokeInput): Answer<InvokeOutput> {
    const handler = this.#handlers.get(handlerId);
    if (!handler) throw mcError('MC_ERR_HANDLER_UNKNOWN', `${this.identity} has no handler '${handlerId}'`, { plugin: this.identity, handler: handlerId });
    let result;
    try {
      result = handler(input.value);
    } catch (err) {
      throw this.#failed(err);
    }
    if (typeof (result as PromiseLike<unknown> | null)?.then !== 'function') return output(input, result);
    this.#inFlight.enter();
    return Promise.resolve(result).then(
      (value) => {
        this.#inFlight.leave();
        return output(input, value);
      },
      (err: unknown) => {
        this.#inFlight.leave();
        throw this.#failed(err);
      },
    );
  }

  idle(): Promise<void> {
    return this.#inFlight.idle();
  }

  retire(retired: boolean): void {
    this.#handlers.retiredBy = retired ? this.identity : undefined;
  }

  #failed(err: unknown) {
    return toMcError(err, 'MC_ERR_HANDLER_FAILED', `handler of ${this.identity}`);
  }

  async shutdown(): Promise<void> {
    try {
      await this.#plugin.onShutdown?.();
    } catch (err) {
      this.#log.error(`${this.identity} onShutdown failed: ${(err as Error).message}`, { plugin: this.identity });
    }
  }
}
