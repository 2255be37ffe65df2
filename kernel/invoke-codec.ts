// InvokeRequest / InvokeResponse for the out-of-process hostings (sidecar, wasm):
// one encoding of a handler call, one decoding of its outcome.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { HttpResponseSchema } from '../proto/gen/microcore/v1/http_pb.js';
import { InvokeRequestSchema, InvokeResponseSchema, type InvokeRequest, type InvokeResponse } from '../proto/gen/microcore/v1/plugin_pb.js';
import type { InvokeInput, InvokeOutput } from './contract.ts';
import { mcError, pluginError } from './errors.ts';
import { fromPlain, toPlain } from './plain.ts';
import { valueToJs } from './values.ts';

export function invokeRequest(handlerId: string, input: InvokeInput): InvokeRequest {
  return fromPlain(InvokeRequestSchema, { handlerId, input }, 'invoke');
}

export function encodeInvoke(handlerId: string, input: InvokeInput): Uint8Array {
  return toBinary(InvokeRequestSchema, invokeRequest(handlerId, input));
}

export function decodeInvokeResponse(identity: string, bytes: Uint8Array): InvokeOutput {
  let response: InvokeResponse;
  try {
    response = fromBinary(InvokeResponseSchema, bytes);
  } catch (err) {
    throw mcError('MC_ERR_GATEWAY_BAD_MESSAGE', `${identity} answered an invoke with bytes that are not a microcore.v1.InvokeResponse`, { plugin: identity }, err);
  }
  return invokeOutput(identity, response);
}

export function invokeOutput(identity: string, response: InvokeResponse): InvokeOutput {
  const output = response.output;
  switch (output.case) {
    case 'http':
      return { case: 'http', value: toPlain(HttpResponseSchema, output.value as never) as never };
    case 'value':
      return { case: 'value', value: valueToJs(output.value) };
    case 'error':
      throw pluginError(identity, output.value);
    default:
      throw mcError('MC_ERR_HANDLER_FAILED', `${identity} answered an invoke with no output`, { plugin: identity });
  }
}
