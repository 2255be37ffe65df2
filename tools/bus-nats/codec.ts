// What crosses NATS, as the contract's protobuf messages so values stay exact
// (an int64 stays a bigint, bytes stay bytes, as they do between the kernel and
// a sidecar): an event is a microcore.v1.Envelope, a request's answer a
// BusRequestResponse, a failed answer a microcore.v1.Error.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { jsToValue, McError, valueToJs, type JsValue } from '../../kernel/index.ts';
import { BusRequestResponseSchema, EnvelopeSchema } from '../../proto/gen/microcore/v1/bus_pb.js';
import { ErrorSchema } from '../../proto/gen/microcore/v1/error_pb.js';
import type { Env } from '../bus/rules.ts';

export function encodeEnvelope(e: Env): Uint8Array {
  const payload = jsToValue(e.payload ?? null, 'event.payload');
  return toBinary(EnvelopeSchema, create(EnvelopeSchema, { id: e.id, topic: e.topic, payload, traceId: e.traceId, parentId: e.parentId, source: e.source, timeUnixMs: e.timeUnixMs, key: e.key, attempt: e.attempt }));
}

// NATS hands over a Buffer: bytes fields read from it would be Buffers too,
// which a plugin could tell from the Uint8Array the in-process bus delivers.
const plain = (bytes: Uint8Array) => (Buffer.isBuffer(bytes) ? new Uint8Array(bytes) : bytes);

export function decodeEnvelope(bytes: Uint8Array): Env {
  const e = fromBinary(EnvelopeSchema, plain(bytes));
  return { id: e.id, topic: e.topic, payload: valueToJs(e.payload, 'event.payload'), traceId: e.traceId, parentId: e.parentId, source: e.source, timeUnixMs: e.timeUnixMs, key: e.key, attempt: e.attempt };
}

export function encodeReply(payload: JsValue): Uint8Array {
  return toBinary(BusRequestResponseSchema, create(BusRequestResponseSchema, { payload: jsToValue(payload, 'reply') }));
}

export function decodeReply(bytes: Uint8Array): JsValue {
  return valueToJs(fromBinary(BusRequestResponseSchema, plain(bytes)).payload, 'reply');
}

/** The message already reads "<code>: <what>. <fix>", so the fix travels inside it. */
export function encodeError(err: McError): Uint8Array {
  return toBinary(ErrorSchema, create(ErrorSchema, { code: err.code, message: err.message, details: err.details }));
}

/** The answering kernel's error, as it raised it: the requester branches on the same code. */
export function decodeError(bytes: Uint8Array): McError {
  const e = fromBinary(ErrorSchema, bytes);
  return new McError(e.code, e.message, e.details);
}
