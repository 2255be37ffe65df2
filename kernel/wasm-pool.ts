// The instances of one wasm module and who may use which: each serves one call
// at a time, a call takes whichever is idle, and calls that find none wait in
// arrival order. An instance is not reentrant (Extism's, and a guest's own state
// mid-call), so this is the only way calls reach one.
//
// Only the first instance starts with the module; the others start when a call
// finds every started one busy, one at a time, up to the manifest's `instances`.
// An idle instance is a worker thread with its own V8 heap and Extism (~30 MB),
// so a module that is never called concurrently holds one. The call that found
// none free waits in line as before: it runs on whichever is free first, the
// new instance or one finishing its call.
import type { KernelLog } from './log.ts';
import type { WasmInstance } from './wasm-instance.ts';

interface Waiter {
  /** The one instance it needs (boot, shutdown), or any. */
  want?: number;
  give(instance: WasmInstance): void;
}

export class WasmPool {
  readonly instances: readonly WasmInstance[];
  #idle: WasmInstance[];
  /** Not started yet, next last. */
  #cold: WasmInstance[];
  #growing = false;
  #log: KernelLog;

  #waiting: Waiter[] = [];

  /** `instances[0]` is started; the rest start on demand. */
  constructor(instances: WasmInstance[], log: KernelLog) {
    this.instances = instances;
    this.#idle = instances.slice(0, 1);
    this.#cold = instances.slice(1).reverse();
    this.#log = log;
  }

  /** Runs `step` on an idle instance, the last one to finish first (its memory is the warmest). */
  any<T>(step: (instance: WasmInstance) => Promise<T>): Promise<T> {
    return this.#run(undefined, step);
  }

  /** Runs `step` on instance `n` once it is idle. */
  with<T>(n: number, step: (instance: WasmInstance) => Promise<T>): Promise<T> {
    return this.#run(n, step);
  }

  async #run<T>(want: number | undefined, step: (instance: WasmInstance) => Promise<T>): Promise<T> {
    let instance = this.#take(want);
    if (!instance) {
      if (want === undefined) this.#grow();
      instance = await new Promise<WasmInstance>((give) => this.#waiting.push({ want, give }));
    }
    try {
      return await step(instance);
    } finally {
      this.#release(instance);
    }
  }

  #take(want: number | undefined): WasmInstance | undefined {
    // A cold instance asked for by number (boot, shutdown) is the caller's to start.
    const cold = want === undefined ? -1 : this.#cold.findIndex((i) => i.index === want);
    if (cold >= 0) return this.#cold.splice(cold, 1)[0];
    const at = want === undefined ? this.#idle.length - 1 : this.#idle.findIndex((i) => i.index === want);
    return at < 0 ? undefined : this.#idle.splice(at, 1)[0];
  }

  /** Starts and boots the next cold instance, which then serves the first waiting call. */
  #grow(): void {
    const instance = this.#growing ? undefined : this.#cold.pop();
    if (!instance) return;
    this.#growing = true;
    instance.ready().then(
      () => {
        this.#growing = false;
        this.#release(instance);
        // Calls still waiting: they found every instance busy too.
        if (this.#waiting.some((w) => w.want === undefined)) this.#grow();
      },
      (err: Error) => {
        // Into the pool all the same: the call that takes it tries again and,
        // failing, answers the error (as after a lost instance), and shutdown finds it.
        this.#growing = false;
        this.#log.warn(`a wasm instance could not be started on demand: ${err.message}`, { instance: String(instance.index) });
        this.#release(instance);
      },
    );
  }

  #release(instance: WasmInstance): void {
    const at = this.#waiting.findIndex((w) => w.want === undefined || w.want === instance.index);
    if (at < 0) this.#idle.push(instance);
    else this.#waiting.splice(at, 1)[0]!.give(instance);
  }
}
