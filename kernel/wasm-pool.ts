// The instances of one wasm module and who may use which: each serves one call
// at a time, a call takes whichever is idle, and calls that find none wait in
// arrival order. An instance is not reentrant (Extism's, and a guest's own state
// mid-call), so this is the only way calls reach one.
import type { WasmInstance } from './wasm-instance.ts';

interface Waiter {
  /** The one instance it needs (boot, shutdown), or any. */
  want?: number;
  give(instance: WasmInstance): void;
}

export class WasmPool {
  readonly instances: readonly WasmInstance[];
  #idle: WasmInstance[];
  #waiting: Waiter[] = [];

  constructor(instances: WasmInstance[]) {
    this.instances = instances;
    this.#idle = [...instances];
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
    const instance = this.#take(want) ?? (await new Promise<WasmInstance>((give) => this.#waiting.push({ want, give })));
    try {
      return await step(instance);
    } finally {
      this.#release(instance);
    }
  }

  #take(want: number | undefined): WasmInstance | undefined {
    const at = want === undefined ? this.#idle.length - 1 : this.#idle.findIndex((i) => i.index === want);
    return at < 0 ? undefined : this.#idle.splice(at, 1)[0];
  }

  #release(instance: WasmInstance): void {
    const at = this.#waiting.findIndex((w) => w.want === undefined || w.want === instance.index);
    if (at < 0) this.#idle.push(instance);
    else this.#waiting.splice(at, 1)[0]!.give(instance);
  }
}
