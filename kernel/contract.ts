// The contract as the kernel sees it: which service each tool name serves, and
// the TypeScript shapes derived from the generated descriptors. Native plugins,
// tools and the gateway all take their types from here, so a method or field
// cannot exist in one hosting only.
import type { DescMessage, DescMethod, DescService, MessageShape } from '@bufbuild/protobuf';
import type { GenService } from '@bufbuild/protobuf/codegenv2';
import type { Envelope } from '../proto/gen/microcore/v1/bus_pb.js';
import type { HttpRequest } from '../proto/gen/microcore/v1/http_pb.js';
import { SERVICES } from '../proto/gen/services.ts';
import type { Value, ValueMap } from '../proto/gen/microcore/v1/value_pb.js';
import type { TypedBus, TypedHttp } from './typed-tools.ts';
import type { JsRecord, JsValue } from './values.ts';

/**
 * Tool name -> the service it serves. The names are the contract's vocabulary:
 * every service in proto/microcore/v1 but Plugin, listed by `npm run gen`
 * (scripts/gen-services.ts), so a catalog tool's .proto adds its name.
 */
export const CONTRACT = SERVICES;

export type ContractName = keyof typeof CONTRACT;
export const CONTRACT_NAMES = Object.keys(CONTRACT) as ContractName[];

export function isContractName(name: string): name is ContractName {
  return Object.hasOwn(CONTRACT, name);
}

/** The service of a tool name, or undefined for kernel-facing tools. */
export function serviceOf(name: string): DescService | undefined {
  return isContractName(name) ? CONTRACT[name] : undefined;
}

/** A method by its local name (`queryOne`) or its proto name (`QueryOne`). */
export function methodOf(service: DescService, name: string): DescMethod | undefined {
  return service.methods.find((m) => m.localName === name || m.name === name);
}

// ---- shapes derived from the descriptors ----

/** A message as tools and native plugins see it: Value fields are plain JS. */
export type Plain<T> = T extends Value
  ? JsValue
  : T extends ValueMap
    ? JsRecord
    : T extends Uint8Array
      ? Uint8Array
      : T extends readonly (infer U)[]
        ? Plain<U>[]
        : T extends { case: string; value: unknown }
          ? { case: T['case']; value: Plain<T['value']> }
          : T extends { $typeName: string }
            ? { [K in keyof T as K extends '$typeName' | '$unknown' ? never : K]: Plain<T[K]> }
            : T extends object
              ? { [K in keyof T]: Plain<T[K]> }
              : T;

/** What a caller may pass: every field optional, int64 fields take numbers too. */
export type PlainInit<T> = T extends Value
  ? JsValue
  : T extends ValueMap
    ? JsRecord
    : T extends Uint8Array
      ? Uint8Array
      : T extends bigint
        ? bigint | number
        : T extends readonly (infer U)[]
          ? PlainInit<U>[]
          : T extends { case: string; value: unknown }
            ? { case: T['case']; value: PlainInit<T['value']> }
            : T extends { $typeName: string }
              ? { [K in keyof T as K extends '$typeName' | '$unknown' ? never : K]?: PlainInit<T[K]> }
              : T extends object
                ? { [K in keyof T]: PlainInit<T[K]> }
                : T;

/** What a kernel call into a plugin carries (InvokeRequest.input). */
/** A plugin's answer: the value itself when it gave one at once (a native handler that returned no promise). */
export type Answer<T> = T | Promise<T>;

export type InvokeInput = { case: 'http'; value: Plain<HttpRequest> } | { case: 'event'; value: Plain<Envelope> };
/** What a plugin answers (InvokeResponse.output, the error case thrown instead). */
export type InvokeOutput =
  | { case: 'http'; value: { status?: number; body?: JsValue; headers?: Record<string, string> } }
  | { case: 'value'; value: JsValue };

/** A native endpoint handler: it returns the response body. */
export type HttpHandler = (request: Plain<HttpRequest>) => unknown;
/** A native subscription handler: its return value answers a Bus.Request. */
export type EventHandler = (event: Plain<Envelope>) => unknown;

type HandlerFor<T> = T extends { $typeName: 'microcore.v1.AddEndpointRequest' | 'microcore.v1.AddStreamRequest' | 'microcore.v1.AddAuthValidatorRequest' }
  ? HttpHandler
  : T extends { $typeName: 'microcore.v1.SubscribeRequest' }
    ? EventHandler
    : never;

/** Native plugins pass a function where the wire carries a handler id. */
export type NativeInput<T> = 'handlerId' extends keyof T
  ? Omit<PlainInit<T>, 'handlerId'> & { handler: HandlerFor<T> }
  : PlainInit<T>;

type MethodsOf<S> = S extends GenService<infer M> ? M : never;
type In<M> = M extends { input: infer I extends DescMessage } ? MessageShape<I> : never;
type Out<M> = M extends { output: infer O extends DescMessage } ? MessageShape<O> : never;

/** A proxy method: the input may be left out unless it must carry a handler. */
type NativeMethod<I, O> = 'handlerId' extends keyof I ? (input: NativeInput<I>) => Promise<Plain<O>> : (input?: NativeInput<I>) => Promise<Plain<O>>;

/** A tool as a native plugin holds it (the proxy). */
export type NativeTool<N extends ContractName> = {
  [K in keyof MethodsOf<(typeof CONTRACT)[N]>]: NativeMethod<In<MethodsOf<(typeof CONTRACT)[N]>[K]>, Out<MethodsOf<(typeof CONTRACT)[N]>[K]>>;
};

/** The methods typed from the schemas a plugin passes (typed-tools.ts). */
type Typed = { http: TypedHttp; bus: TypedBus };

/** Every tool a native plugin can destructure from its constructor parameter. */
export type Tools = { [N in ContractName]: N extends keyof Typed ? Omit<NativeTool<N>, keyof Typed[N]> & Typed[N] : NativeTool<N> };

/** Who is calling a tool, and in which trace. Tools receive it with every call. */
export interface CallContext {
  /** The caller's identity: users/create-user, sidecar/inventory, wasm/catalog-search. */
  caller: string;
  /** The W3C trace id of the work in progress. */
  traceId: string;
}

/** What a tool implements for a contract name: each method gets a complete plain input. */
export type ToolMethods<N extends ContractName> = {
  [K in keyof MethodsOf<(typeof CONTRACT)[N]>]: (
    input: Plain<In<MethodsOf<(typeof CONTRACT)[N]>[K]>>,
    call: CallContext,
  ) => PlainInit<Out<MethodsOf<(typeof CONTRACT)[N]>[K]>> | Promise<PlainInit<Out<MethodsOf<(typeof CONTRACT)[N]>[K]>>>;
};
