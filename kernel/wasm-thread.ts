// The kernel's side of one wasm worker (wasm-worker.ts): hands it a call
// through the shared channel, serves its mc_call requests, and ends a call that
// runs past limits.timeoutMs by terminating the worker (the instance is lost;
// wasm-instance.ts starts a fresh one). The compiled module is posted to the
// worker, not compiled again: every instance of a pool shares it.
import { Worker } from 'node:worker_threads';
import { CALL, DONE, EXPORT, EXPORTS, FAILED, hand, HEADER_BYTES, HOST, HOST_DONE, IDLE, LENGTH, newChannel, readMessage, STATE, writeMessage, type ExportName, type WorkerFailure } from './wasm-channel.ts';
import { EngineFailure, type EngineOptions, type WasmEngine } from './wasm-engine.ts';
import type { WorkerInit } from './wasm-worker.ts';
import type { TraceContext } from './trace.ts';

const WORKER_URL = new URL('./wasm-worker.ts', import.meta.url);
// How long a worker may take to load itself and Extism, before the module's own
// limits.timeoutMs starts: a generous bound for a loaded machine, not a limit on the guest.
const WORKER_LOAD_MS = 30_000;

// Atomics.waitAsync is ES2024 but missing from TypeScript's es2024 lib.
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string } }).waitAsync;

interface Pending {
  resolve(out: Uint8Array): void;
  reject(err: EngineFailure): void;
  timer: NodeJS.Timeout;
  trace: TraceContext;
}

export class WasmThread implements WasmEngine {
  #o: EngineOptions;
  #worker: Worker;
  #sab: SharedArrayBuffer;
  #header: Int32Array;
  #pending?: Pending;
  #alive = true;

  private constructor(o: EngineOptions, worker: Worker, sab: SharedArrayBuffer) {
    this.#o = o;
    this.#worker = worker;
    this.#sab = sab;
    this.#header = new Int32Array(sab, 0, HEADER_BYTES / 4);
    worker.on('message', (m: { type: string; level?: string; message?: string }) => {
      if (m.type === 'log') (o.log[m.level as 'info'] ?? o.log.info)(m.message ?? '');
    });
    worker.on('error', (err) => this.#lost(new EngineFailure('trap', `its worker failed (${err.message})`)));
    worker.on('exit', (code) => this.#lost(new EngineFailure('trap', `its worker exited (code ${code})`)));
  }

  /** Starts a worker, then instantiates the module in it within limits.timeoutMs (a module's start section may spin too). */
  static async start(o: EngineOptions): Promise<WasmThread> {
    const m = o.manifest;
    const channel = newChannel(o.messageLimit);
    const init: WorkerInit = { channel, module: o.module, config: m.config, wasi: m.wasi, allowedHosts: m.allowedHosts, memoryMaxPages: m.limits.memoryMaxPages };
    const worker = new Worker(WORKER_URL, { workerData: init });
    try {
      await new Promise<void>((resolve, reject) => {
        let timer = setTimeout(() => reject(new Error(`its worker did not load within ${WORKER_LOAD_MS} ms`)), WORKER_LOAD_MS);
        const settle = (err?: Error) => (clearTimeout(timer), err ? reject(err) : resolve());
        worker.once('error', settle);
        worker.once('exit', (code) => settle(new Error(`its worker exited (code ${code}) while starting`)));
        worker.on('message', (msg: { type: string; message?: string }) => {
          if (msg.type === 'loaded') {
            clearTimeout(timer);
            timer = setTimeout(() => reject(new Error(`it did not instantiate within ${m.limits.timeoutMs} ms (limits.timeoutMs)`)), m.limits.timeoutMs);
          } else if (msg.type === 'ready') settle();
          else if (msg.type === 'error') settle(new Error(msg.message));
        });
      });
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    worker.removeAllListeners();
    return new WasmThread(o, worker, channel);
  }

  get alive(): boolean {
    return this.#alive;
  }

  call(name: ExportName, input: Uint8Array, trace: TraceContext): Promise<Uint8Array> {
    if (!this.#alive) return Promise.reject(new EngineFailure('trap', 'its instance is gone'));
    if (this.#pending) return Promise.reject(new EngineFailure('trap', 'a call is already running'));
    const header = this.#header;
    if (!writeMessage(this.#sab, header, input)) return Promise.reject(new EngineFailure('too-large', `its input of ${input.length} bytes`, input.length));
    header[EXPORT] = EXPORTS.indexOf(name);
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => this.#timedOut(), this.#o.manifest.limits.timeoutMs);
      this.#pending = { resolve, reject, timer, trace };
      hand(header, CALL);
      void this.#pump(CALL);
    });
  }

  /** Follows the call through the channel until it is done, serving mc_call on the way. */
  async #pump(from: number): Promise<void> {
    const header = this.#header;
    let state = from;
    for (;;) {
      state = await this.#changed(state);
      const pending = this.#pending;
      if (!this.#alive || !pending) return;
      if (state === HOST) {
        const length = header[LENGTH]!;
        const result = await this.#o.mcCall(length < 0 ? -length : readMessage(this.#sab, header), pending.trace);
        if (!this.#alive) return;
        // A ToolResult too large for the channel crosses as the limit's error, encoded by the gateway.
        writeMessage(this.#sab, header, result);
        hand(header, HOST_DONE);
        state = HOST_DONE;
        continue;
      }
      if (state !== DONE && state !== FAILED) continue;
      const message = readMessage(this.#sab, header);
      Atomics.store(header, STATE, IDLE);
      this.#pending = undefined;
      clearTimeout(pending.timer);
      if (state === DONE) {
        pending.resolve(message);
      } else {
        const f = JSON.parse(new TextDecoder().decode(message)) as WorkerFailure;
        // A trapped instance may hold all the memory it grew: let it go now.
        if (f.kind === 'trap') this.#end();
        pending.reject(new EngineFailure(f.kind, f.message, f.size));
      }
      return;
    }
  }

  /** The state once it differs from `from`. */
  async #changed(from: number): Promise<number> {
    for (;;) {
      const now = Atomics.load(this.#header, STATE);
      if (now !== from || !this.#alive) return now;
      const w = waitAsync(this.#header, STATE, from);
      if (w.async) await w.value;
    }
  }

  #timedOut(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    this.#end();
    pending?.reject(new EngineFailure('timeout', `ran past ${this.#o.manifest.limits.timeoutMs} ms`));
  }

  #lost(failure: EngineFailure): void {
    if (!this.#alive) return;
    const pending = this.#pending;
    this.#pending = undefined;
    this.#end();
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(failure);
    }
  }

  /** Terminates the worker and wakes our own pump, which then sees the engine gone. */
  #end(): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#worker.removeAllListeners('exit');
    this.#worker.terminate().catch(() => undefined);
    Atomics.notify(this.#header, STATE);
  }

  async close(): Promise<void> {
    if (!this.#alive) return;
    this.#alive = false;
    this.#worker.removeAllListeners('exit');
    Atomics.notify(this.#header, STATE);
    await this.#worker.terminate();
  }
}
