// One size limit for every message that crosses between the kernel and a plugin
// outside its process: a handler call and its answer, a tool call and the tool's
// result, for sidecars (grpc-js here, grpc-go or tonic there, told through
// MICROCORE_MESSAGE_LIMIT) and wasm modules (checked here, around Extism) alike.
// Before, grpc-go's 4 MiB default failed a Go sidecar where Rust and wasm carried
// 8 MiB. Native plugins share the kernel's memory: nothing crosses, nothing is
// limited. The check happens before a message is sent, so the error names what
// was too large instead of a transport's RESOURCE_EXHAUSTED.
import { mcError, type McError } from './errors.ts';

export const DEFAULT_MESSAGE_LIMIT_BYTES = 8 * 1024 * 1024;
// Below this, a plugin could not even receive its own onBoot and endpoint answers.
const MIN_MESSAGE_LIMIT_BYTES = 64 * 1024;
const MAX_MESSAGE_LIMIT_BYTES = 1024 * 1024 * 1024;

/** MC_MESSAGE_LIMIT_BYTES as a number of bytes, or the setting's error. */
export function messageLimit(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.MC_MESSAGE_LIMIT_BYTES;
  if (raw === undefined || raw === '') return DEFAULT_MESSAGE_LIMIT_BYTES;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < MIN_MESSAGE_LIMIT_BYTES || n > MAX_MESSAGE_LIMIT_BYTES) {
    throw mcError('MC_ERR_INVALID_ARGUMENT', `MC_MESSAGE_LIMIT_BYTES is ${JSON.stringify(raw)}; it must be a whole number of bytes from ${MIN_MESSAGE_LIMIT_BYTES} to ${MAX_MESSAGE_LIMIT_BYTES}`, { setting: 'MC_MESSAGE_LIMIT_BYTES' }, undefined, `Set MC_MESSAGE_LIMIT_BYTES to a number of bytes (default ${DEFAULT_MESSAGE_LIMIT_BYTES}), or unset it.`);
  }
  return n;
}

/** `bytes` unchanged when within `limit`; otherwise the error, naming `what` (e.g. "sidecar/x's db.Query result"). */
export function withinLimit(bytes: Uint8Array, limit: number, what: string, plugin: string): Uint8Array {
  if (bytes.length > limit) throw tooLarge(what, plugin, limit, bytes.length);
  return bytes;
}

export function tooLarge(what: string, plugin: string, limit: number, size?: number): McError {
  const measured = size === undefined ? 'larger than' : `${size} bytes, over`;
  return mcError('MC_ERR_MESSAGE_TOO_LARGE', `${what} is ${measured} MC_MESSAGE_LIMIT_BYTES (${limit})`, { plugin, limit: String(limit), ...(size === undefined ? {} : { bytes: String(size) }) });
}
