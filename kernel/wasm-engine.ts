// What runs one instance of a wasm module: a thread of the kernel's own
// (wasm-thread.ts, "mode": "worker") or Extism on the kernel's thread
// (wasm-main.ts, "mode": "main"). Both call the same host function for mc_call
// and fail the same ways, so wasm-instance.ts treats them alike.
import type { ManifestWasmModule } from '@extism/extism';
import type { ExportName } from './wasm-channel.ts';
import type { TraceContext } from './trace.ts';
import type { WasmManifest } from './manifest.ts';

export type CompiledModule = ManifestWasmModule['module'];

/**
 * The guest called mc_call: `request` is its ToolCall (or, when it was too large
 * to cross, its size). Answers the ToolResult bytes and never throws: a host
 * function that throws leaves an Extism instance unable to finish its next call.
 */
export type McCall = (request: Uint8Array | number, trace: TraceContext) => Promise<Uint8Array>;

export interface EngineOptions {
  module: CompiledModule;
  manifest: WasmManifest;
  messageLimit: number;
  mcCall: McCall;
  log: { debug(m: string): void; info(m: string): void; warn(m: string): void; error(m: string): void };
}

/**
 * How a call failed. guest: the module returned an error of its own (the
 * instance is fine). timeout: it ran past limits.timeoutMs. trap: anything else
 * (the instance may be half-way through something, or hold all the memory it
 * grew). too-large: its output could not cross. After timeout and trap the
 * engine is closed.
 */
export class EngineFailure extends Error {
  readonly kind: 'guest' | 'timeout' | 'trap' | 'too-large';
  readonly size?: number;

  constructor(kind: EngineFailure['kind'], message: string, size?: number) {
    super(message);
    this.kind = kind;
    this.size = size;
  }
}

export interface WasmEngine {
  /** Runs one export; rejects with an EngineFailure. One call at a time. */
  call(name: ExportName, input: Uint8Array, trace: TraceContext): Promise<Uint8Array>;
  /** False once it timed out, trapped or was closed: the instance needs a fresh engine. */
  readonly alive: boolean;
  close(): Promise<void>;
}
