// The channel between the kernel and one wasm worker (wasm-worker.ts): a
// SharedArrayBuffer with a small header and one message at a time after it.
// Each side writes, flips STATE and wakes the other (Atomics.notify); the worker
// blocks in Atomics.wait, the kernel awaits Atomics.waitAsync. No postMessage and
// no structured clone on a call's path: Extism's own worker mode spent most of a
// call there (bench/README.md, "Where the time goes: wasm").
// Imported by the worker too, which Node loads without the kernel's bundler:
// keep this file free of imports.

/** Int32 slots of the header. */
export const STATE = 0;
export const LENGTH = 1;
export const EXPORT = 2;
export const HEADER_BYTES = 16;

/** Who holds the channel: the value of header[STATE]. */
export const IDLE = 0; // nobody; the worker waits for CALL
export const CALL = 1; // kernel → worker: run EXPORT with the message as input
export const HOST = 2; // worker → kernel: the guest called mc_call with the message
export const HOST_DONE = 3; // kernel → worker: the ToolResult for that mc_call
export const DONE = 4; // worker → kernel: the export's output
export const FAILED = 5; // worker → kernel: a JSON WorkerFailure

/** The guest exports the kernel calls, by their index in header[EXPORT]. */
export const EXPORTS = ['mc_invoke', 'mc_on_boot', 'mc_on_shutdown', 'exists:mc_on_shutdown'] as const;
export type ExportName = (typeof EXPORTS)[number];

/** guest: the module returned an error of its own, the instance is fine. trap: anything else. too-large: output over the channel's maximum. */
export interface WorkerFailure {
  kind: 'guest' | 'trap' | 'too-large';
  message: string;
  size?: number;
}

/**
 * A growable buffer: it starts small and grows when a message needs it, up to
 * the message limit plus room for the envelope around a message at the limit
 * (a ToolResult around a tool's result). Larger messages were refused before.
 */
export function newChannel(messageLimit: number): SharedArrayBuffer {
  const max = HEADER_BYTES + messageLimit + 1024;
  return new SharedArrayBuffer(Math.min(64 * 1024, max), { maxByteLength: max } as never);
}

/** Writes `bytes` as the message; false when they cannot fit even after growing. */
export function writeMessage(sab: SharedArrayBuffer, header: Int32Array, bytes: Uint8Array): boolean {
  const need = HEADER_BYTES + bytes.length;
  const growable = sab as SharedArrayBuffer & { grow(n: number): void; maxByteLength: number };
  if (need > sab.byteLength) {
    if (need > growable.maxByteLength) return false;
    growable.grow(need);
  }
  new Uint8Array(sab, HEADER_BYTES, bytes.length).set(bytes);
  header[LENGTH] = bytes.length;
  return true;
}

/** A copy of the message: the buffer is overwritten by the next one. */
export function readMessage(sab: SharedArrayBuffer, header: Int32Array): Uint8Array {
  return new Uint8Array(sab, HEADER_BYTES, header[LENGTH]).slice();
}

/** Sets the state and wakes the other side. */
export function hand(header: Int32Array, state: number): void {
  Atomics.store(header, STATE, state);
  Atomics.notify(header, STATE);
}
