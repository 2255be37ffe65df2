// What crosses NATS, as the contract's protobuf messages so values stay exact
// (an int64 stays a bigint, bytes stay bytes, as they do between the kernel and
// a sidecar): an event is a microcore.v1.Envelope, a request's answer a
// BusRequestResponse, a failed answer a microcore.v1.Error. One of them past
// the server's max_payload is refused as the kernel refuses a message past
// MC_MESSAGE_LIMIT_BYTES (tooLarge).
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { InvalidArgumentError, type NatsConnection } from '@nats-io/transport-node';
import { jsToValue, mcError, McError, valueToJs, type JsValue } from '../../kernel/index.ts';
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

/**
 * The client's refusal of a message past the server's max_payload (1 MiB unless
 * nats-server's configuration raises it), as MC_ERR_MESSAGE_TOO_LARGE naming
 * both limits; undefined for any other error. `what` is the message, `bytes` its size.
 */
export function tooLarge(err: unknown, nc: NatsConnection, what: string, bytes: number, details: Record<string, string>): McError | undefined {
  if (!(err instanceof InvalidArgumentError) || !err.message.includes('max_payload')) return undefined;
  const max = nc.info?.max_payload ?? 0;
  return mcError(
    'MC_ERR_MESSAGE_TOO_LARGE',
    `${what} is ${bytes} bytes with its envelope, past the NATS server's max_payload (${max} bytes)`,
    { ...details, bytes: String(bytes), limit: String(max), setting: 'max_payload' },
    err,
    "Raise max_payload in nats-server's configuration (up to 64 MB) to at least MC_MESSAGE_LIMIT_BYTES, or move less per message (keep the data with the db or state tool and send its key).",
  );
}
