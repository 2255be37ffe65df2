// The methods of http and bus whose inputs take schemas or topic values, as a
// native plugin sees them: the contract's shape (contract.ts NativeTool) plus
// the schema slots, with the handler's request or event typed from them. The
// wire stays the contract's: the proxy turns the objects into `*SchemaJson`
// text (schema-inputs.ts), so sidecars and wasm modules see no difference.
// What a plugin sends (a publish's payload, a reply) is checked at run time by
// the declared schema, in every hosting; what it receives is typed here.
import type { Envelope, BusRequestRequest, BusRequestResponse, DeclareTopicRequest, DeclareTopicResponse, PublishRequest, PublishResponse, SubscribeRequest, SubscribeResponse } from '../proto/gen/microcore/v1/bus_pb.js';
import type { AddEndpointRequest, AddEndpointResponse, HttpRequest } from '../proto/gen/microcore/v1/http_pb.js';
import type { NativeInput, Plain } from './contract.ts';
import type { Topic, WireOr } from './schema-types.ts';
import type { JsValue } from './values.ts';

/** A topic by name, or a topic value carrying its schemas. */
export type TopicRef = string | Topic<unknown, unknown>;

/** The request an endpoint's handler gets: body, params and query typed by the schemas given. */
export type TypedRequest<B = undefined, P = undefined, Q = undefined> = Omit<Plain<HttpRequest>, 'body' | 'params' | 'query'> & {
  body: WireOr<B, JsValue>;
  params: WireOr<P, Record<string, string>>;
  query: WireOr<Q, Record<string, string>>;
};

/** The event a subscriber gets: the payload typed by its topic value's schema. */
export type TypedEvent<T extends TopicRef = string> = Omit<Plain<Envelope>, 'payload'> & { payload: T extends Topic<infer P, unknown> ? WireOr<P, JsValue> : JsValue };

type ReplyOf<T> = T extends Topic<unknown, infer R> ? WireOr<R, JsValue> : JsValue;

/**
 * http.addEndpoint's input. `body`, `params`, `query`, `response`: JSON Schema
 * objects (each instead of its `*SchemaJson` text, never both).
 */
export type EndpointInput<B, P, Q> = Omit<NativeInput<AddEndpointRequest>, 'handler'> & {
  body?: B;
  params?: P;
  query?: Q;
  response?: object;
  handler: (request: TypedRequest<B, P, Q>) => unknown;
};

export interface TypedHttp {
  addEndpoint<B = undefined, P = undefined, Q = undefined>(input: EndpointInput<B, P, Q>): Promise<Plain<AddEndpointResponse>>;
}

export interface TypedBus {
  /** `topic` a topic value: its payload and reply schemas are declared (or pass `payload`/`reply` objects, or the `*SchemaJson` text). */
  declareTopic(input: Omit<NativeInput<DeclareTopicRequest>, 'topic'> & { topic: TopicRef; payload?: object; reply?: object }): Promise<Plain<DeclareTopicResponse>>;
  publish(input: Omit<NativeInput<PublishRequest>, 'topic'> & { topic: TopicRef }): Promise<Plain<PublishResponse>>;
  subscribe<T extends TopicRef>(input: Omit<NativeInput<SubscribeRequest>, 'topic' | 'handler'> & { topic: T; handler: (event: TypedEvent<T>) => unknown }): Promise<Plain<SubscribeResponse>>;
  request<T extends TopicRef>(input: Omit<NativeInput<BusRequestRequest>, 'topic'> & { topic: T }): Promise<Omit<Plain<BusRequestResponse>, 'payload'> & { payload: ReplyOf<T> }>;
}
