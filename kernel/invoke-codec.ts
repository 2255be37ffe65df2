// InvokeRequest / InvokeResponse for the out-of-process hostings (sidecar, wasm):
// one encoding of a handler call, one decoding of its outcome.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { EnvelopeSchema } from '../proto/gen/microcore/v1/bus_pb.js';
import { HttpRequestSchema } from '../proto/gen/microcore/v1/http_pb.js';
import { InvokeRequestSchema, InvokeResponseSchema, type InvokeRequest, type InvokeResponse } from '../proto/gen/microcore/v1/plugin_pb.js';
import type { InvokeInput, InvokeOutput } from './contract.ts';
import { McError, mcError, pluginError } from './errors.ts';
import { readValue, within } from './value-wire.ts';
import { jsToValue, valueToJs, type JsValue } from './values.ts';

// Built field by field rather than by plain.ts's descriptor walk: the kernel made
// this input itself (the http tool, the bus), so only its Values need converting,
// and the walk was a fifth of a wasm call (bench/README.md, "Where the time goes").
export function invokeRequest(handlerId: string, input: InvokeInput): InvokeRequest {
  if (input.case === 'http') {
    const r = input.value;
    const value = create(HttpRequestSchema, { method: r.method, route: r.route, url: r.url, params: r.params, query: r.query, headers: r.headers, body: optionalValue(r.body, 'request.body'), requestId: r.requestId, streamId: r.streamId, auth: optionalValue(r.auth, 'request.auth') });
    return create(InvokeRequestSchema, { handlerId, input: { case: 'http', value } });
  }
  const e = input.value;
  const value = create(EnvelopeSchema, { id: e.id, topic: e.topic, payload: optionalValue(e.payload, 'event.payload'), traceId: e.traceId, parentId: e.parentId, source: e.source, timeUnixMs: e.timeUnixMs, key: e.key, attempt: e.attempt });
  return create(InvokeRequestSchema, { handlerId, input: { case: 'event', value } });
}

/** As plain.ts converts a Value field: absent stays absent, null is a null Value. */
function optionalValue(v: JsValue | undefined, where: string) {
  return v === undefined ? undefined : jsToValue(v, where);
}

export function encodeInvoke(handlerId: string, input: InvokeInput): Uint8Array {
  return toBinary(InvokeRequestSchema, invokeRequest(handlerId, input));
}

/**
 * An answer's http and value outputs are read straight into JavaScript
 * (value-wire.ts); an error, rare, goes through protobuf-es. A Value past the
 * depth limit or holding __proto__ is refused as valueToJs refuses it.
 */
export function decodeInvokeResponse(identity: string, bytes: Uint8Array): InvokeOutput {
  let output: InvokeOutput | undefined;
  try {
    const r = new BinaryReader(bytes);
    while (r.pos < r.len) {
      const [field, wire] = r.tag();
      if (field === 1 && wire === WireType.LengthDelimited) output = { case: 'http', value: readHttpResponse(r, r.uint32()) };
      else if (field === 2 && wire === WireType.LengthDelimited) output = { case: 'value', value: readValue(r, r.uint32(), 'value') };
      else if (field === 3) return invokeOutput(identity, fromBinary(InvokeResponseSchema, bytes));
      else r.skip(wire);
    }
  } catch (err) {
    if (err instanceof McError) throw err;
    throw mcError('MC_ERR_GATEWAY_BAD_MESSAGE', `${identity} answered an invoke with bytes that are not a microcore.v1.InvokeResponse`, { plugin: identity }, err);
  }
  if (!output) throw mcError('MC_ERR_HANDLER_FAILED', `${identity} answered an invoke with no output`, { plugin: identity });
  return output;
}

function readHttpResponse(r: BinaryReader, length: number): { status: number; body: JsValue; headers: Record<string, string> } {
  const end = within(r, length);
  const out = { status: 0, body: null as JsValue, headers: {} as Record<string, string> };
  while (r.pos < end) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WireType.Varint) out.status = r.int32();
    else if (field === 2 && wire === WireType.LengthDelimited) out.body = readValue(r, r.uint32(), 'value');
    else if (field === 3 && wire === WireType.LengthDelimited) {
      const entryEnd = within(r, r.uint32());
      let key = '';
      let value = '';
      while (r.pos < entryEnd) {
        const [f, w] = r.tag();
        if (f === 1 && w === WireType.LengthDelimited) key = r.string();
        else if (f === 2 && w === WireType.LengthDelimited) value = r.string();
        else r.skip(w);
      }
      // A header named __proto__ stays a key, as fromBinary keeps it (an assignment would set the prototype; fast-check found it).
      if (key === '__proto__') Object.defineProperty(out.headers, key, { value, enumerable: true, writable: true, configurable: true });
      else out.headers[key] = value;
    } else r.skip(wire);
  }
  return out;
}

export function invokeOutput(identity: string, response: InvokeResponse): InvokeOutput {
  const output = response.output;
  switch (output.case) {
    case 'http':
      return { case: 'http', value: { status: output.value.status, body: valueToJs(output.value.body), headers: output.value.headers } };
    case 'value':
      return { case: 'value', value: valueToJs(output.value) };
    case 'error':
      throw pluginError(identity, output.value);
    default:
      throw mcError('MC_ERR_HANDLER_FAILED', `${identity} answered an invoke with no output`, { plugin: identity });
  }
}
