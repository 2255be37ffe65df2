// What both blob drivers (tools/blob: a directory, tools/blob-postgres: a
// table) share, so they answer value for value alike: the key rules, the
// settings, the size limits, the range arithmetic of a Get and the paging of
// a List. A driver only stores and fetches.
import { createHash } from 'node:crypto';
import { mcError, messageLimit, type CallContext, type ToolContext } from '../../kernel/index.ts';
import type { BlobGetRequest, BlobListRequest } from '../../proto/gen/microcore/v1/blob_pb.js';

/** The longest key and prefix, in UTF-8 bytes (as the state tool's keys). */
export const MAX_KEY_BYTES = 1024;
/** The longest segment, in UTF-8 bytes: a file name on the usual file systems (NAME_MAX). */
export const MAX_SEGMENT_BYTES = 255;
export const MAX_CONTENT_TYPE = 255;
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** PostgreSQL's bytea holds at most 1 GB; a Put holds the whole blob in memory too. */
const MAX_MAX_BYTES = 512 * 1024 * 1024;
/** Room in an answer for everything but the data (content type, checksum, size, the transports' framing). */
export const ANSWER_HEADROOM = 16 * 1024;
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

export interface BlobLimits {
  /** BLOB_MAX_BYTES: the largest blob a Put takes. */
  maxBytes: number;
  /** The most data one Get answers: MC_MESSAGE_LIMIT_BYTES − ANSWER_HEADROOM. */
  maxRead: number;
}

export function blobLimits(env: ToolContext['env']): BlobLimits {
  let maxBytes = DEFAULT_MAX_BYTES;
  const raw = env.BLOB_MAX_BYTES;
  if (raw !== undefined && raw !== '') {
    maxBytes = Number(raw);
    if (!Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > MAX_MAX_BYTES) {
      throw mcError('MC_ERR_TOOL_SETUP', `BLOB_MAX_BYTES=${JSON.stringify(raw)} is not a whole number of bytes from 1 to ${MAX_MAX_BYTES}`, { setting: 'BLOB_MAX_BYTES' }, undefined, `Set BLOB_MAX_BYTES to the largest blob a Put may store (default ${DEFAULT_MAX_BYTES}), or unset it.`);
    }
  }
  return { maxBytes, maxRead: messageLimit(env) - ANSWER_HEADROOM };
}

export type KeyRule = 'empty' | 'length' | 'control' | 'backslash' | 'absolute' | 'empty-segment' | 'dot-segment' | 'segment-length';

const RULES: Record<KeyRule, string> = {
  empty: 'is empty',
  length: `is longer than ${MAX_KEY_BYTES} bytes`,
  control: 'holds a control character',
  backslash: "holds a backslash ('/' separates segments)",
  absolute: "starts with '/' (keys are relative names)",
  'empty-segment': "has an empty segment ('//' or a '/' at the end)",
  'dot-segment': "has a segment starting with '.' ('.', '..' and hidden names are refused)",
  'segment-length': `has a segment longer than ${MAX_SEGMENT_BYTES} bytes`,
};

// C0 controls and DEL: never part of a name, and NUL cuts a path short in C.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The first rule `key` breaks, or undefined for a good key. */
export function keyRule(key: string): KeyRule | undefined {
  if (key === '') return 'empty';
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) return 'length';
  if (CONTROL.test(key)) return 'control';
  if (key.includes('\\')) return 'backslash';
  if (key.startsWith('/')) return 'absolute';
  const segments = key.split('/');
  if (segments.some((s) => s === '')) return 'empty-segment';
  if (segments.some((s) => s.startsWith('.'))) return 'dot-segment';
  if (segments.some((s) => Buffer.byteLength(s) > MAX_SEGMENT_BYTES)) return 'segment-length';
  return undefined;
}

/** The key's segments, or MC_ERR_INVALID_ARGUMENT naming the caller, the key and the rule it breaks. */
export function checkKey(key: string, call: CallContext, method: string): string[] {
  const rule = keyRule(key);
  if (rule) throw badKey(key, call, method, rule);
  return key.split('/');
}

export function badKey(key: string, call: CallContext, method: string, rule: KeyRule | 'symlink', why = rule === 'symlink' ? '' : RULES[rule]): Error {
  return mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} blob.${method}: the key ${JSON.stringify(key)} ${why}`, { key, rule, field: 'key' }, undefined, "Use '/'-separated names of letters, digits and punctuation, such as \"invoices/2026/7.pdf\": no leading '/', no '.' or '..', no empty segment, no backslash or control character, at most 1024 bytes.");
}

/** The stored content type (empty → application/octet-stream), or MC_ERR_INVALID_ARGUMENT. */
export function contentType(value: string, call: CallContext, key: string): string {
  if (value === '') return DEFAULT_CONTENT_TYPE;
  if (value.length > MAX_CONTENT_TYPE || !/^[\x20-\x7e]+$/.test(value)) {
    throw mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} blob.put ${JSON.stringify(key)}: the content type ${JSON.stringify(value.slice(0, 300))} is not at most ${MAX_CONTENT_TYPE} printable ASCII characters`, { key, field: 'contentType' }, undefined, 'Give a media type such as "image/png", or leave it empty for application/octet-stream.');
  }
  return value;
}

/** Refuses a blob past BLOB_MAX_BYTES. */
export function checkSize(data: Uint8Array, limits: BlobLimits, call: CallContext, key: string): void {
  if (data.length <= limits.maxBytes) return;
  throw mcError('MC_ERR_MESSAGE_TOO_LARGE', `${call.caller} blob.put ${JSON.stringify(key)}: ${data.length} bytes is over BLOB_MAX_BYTES (${limits.maxBytes})`, { key, bytes: String(data.length), limit: String(limits.maxBytes), setting: 'BLOB_MAX_BYTES' }, undefined, 'Store a smaller blob, or raise BLOB_MAX_BYTES.');
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The byte range a Get reads from a blob of `size` bytes: `[start, start + length)`, or the error saying why not. */
export function readRange(input: Pick<BlobGetRequest, 'offset' | 'length'>, size: number, limits: BlobLimits, call: CallContext, key: string): { start: number; length: number } {
  const { offset, length } = input;
  if (offset < 0n || length < 0n) {
    throw mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} blob.get ${JSON.stringify(key)}: offset ${offset} and length ${length} must not be negative`, { key, field: offset < 0n ? 'offset' : 'length' }, undefined, 'Pass an offset from 0 to the blob\'s size and a length of 0 (to the end) or more.');
  }
  if (offset > BigInt(size)) {
    throw mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} blob.get ${JSON.stringify(key)}: offset ${offset} is past the end of the blob (${size} bytes)`, { key, field: 'offset', size: String(size) }, undefined, 'Read from an offset no greater than the size the previous answer gave; the blob may have been replaced by a shorter one.');
  }
  const start = Number(offset);
  const rest = size - start;
  if (length === 0n) {
    if (rest > limits.maxRead) {
      throw mcError('MC_ERR_MESSAGE_TOO_LARGE', `${call.caller} blob.get ${JSON.stringify(key)}: the ${rest} bytes from offset ${start} are more than one answer holds (${limits.maxRead}: MC_MESSAGE_LIMIT_BYTES less ${ANSWER_HEADROOM})`, { key, bytes: String(rest), limit: String(limits.maxRead), size: String(size) }, undefined, 'Read it in ranges (offset and length), or with the SDK\'s reader: Go k.Blob().Open, Rust blob::open.');
    }
    return { start, length: rest };
  }
  // Cut to what is left, then to what one answer holds: the caller reads on from start + the data's length.
  const wanted = length > BigInt(rest) ? rest : Number(length);
  return { start, length: Math.min(wanted, limits.maxRead) };
}

/** The effective page size of a List. */
export function listLimit(input: Pick<BlobListRequest, 'limit'>, call: CallContext): number {
  if (input.limit < 0) throw mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} blob.list: limit ${input.limit} is negative`, { field: 'limit' }, undefined, `Pass 0 for ${DEFAULT_LIST_LIMIT} items, or up to ${MAX_LIST_LIMIT}.`);
  return input.limit === 0 ? DEFAULT_LIST_LIMIT : Math.min(input.limit, MAX_LIST_LIMIT);
}

/** Refuses a prefix or `after` no key could match the rules of: too long or holding a control character. */
export function checkListText(input: Pick<BlobListRequest, 'prefix' | 'after'>, call: CallContext): void {
  for (const field of ['prefix', 'after'] as const) {
    const v = input[field];
    if (Buffer.byteLength(v) > MAX_KEY_BYTES || CONTROL.test(v)) {
      throw mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} blob.list: the ${field} ${JSON.stringify(v.slice(0, 100))} is longer than ${MAX_KEY_BYTES} bytes or holds a control character`, { field }, undefined, `Pass a ${field} of at most ${MAX_KEY_BYTES} bytes without control characters.`);
    }
  }
}

/** UTF-8 byte order of two strings: the order of List in every driver (PostgreSQL's COLLATE "C"). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * MC_ERR_CONFLICT for a Put whose key is already a folder of other keys
 * (`parent` undefined) or lies inside a key that is a blob (`parent`).
 */
export function folderConflict(key: string, call: CallContext, parent?: string): Error {
  const what = parent === undefined ? `${JSON.stringify(key)} is a folder of other keys (${JSON.stringify(`${key}/…`)})` : `${JSON.stringify(parent)} is a blob, so it cannot also be a folder holding ${JSON.stringify(key)}`;
  return mcError('MC_ERR_CONFLICT', `${call.caller} blob.put: ${what}`, { key, conflict: parent ?? `${key}/` }, undefined, 'A key cannot be a blob and a folder of keys at once (as in a file system): delete the other key first, or choose another name.');
}

/** The keys a key lies inside: "a/b/c" → ["a", "a/b"]. */
export function parentKeys(segments: readonly string[]): string[] {
  return segments.slice(0, -1).map((_, i) => segments.slice(0, i + 1).join('/'));
}
