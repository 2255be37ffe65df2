// MicroCore's public surface: what plugins, tools and the CLI may import.
// Anything not exported here is internal.
export { readEnv } from './env.ts';
export { Kernel, type KernelOptions } from './kernel.ts';
export { CONTRACT, CONTRACT_NAMES, type Answer, type CallContext, type ContractName, type EventHandler, type HttpHandler, type InvokeInput, type InvokeOutput, type NativeTool, type Plain, type PlainInit, type ToolMethods, type Tools } from './contract.ts';
export { ERRORS, ERROR_CODES, isFromPlugin, markFromPlugin, McError, mcError, toMcError, type ErrorCode } from './errors.ts';
export type { KernelLog } from './log.ts';
export { LOG_LEVELS, type LogLevelName, type LogLine, type LogRing } from './log-ring.ts';
export type { CallRecord, CallTotals } from './metrics.ts';
export { ITEM_KINDS, ITEM_STATES, type ItemKind, type ItemState, type ReportItem } from './registry.ts';
export { HTTP_METHODS, type HttpMethod, type Route, type RouteTable } from './route-table.ts';
export { checkTopic, type Subscription, type SubscriptionTable, type TopicDeclaration } from './subscription-table.ts';
export { TRACE_KINDS, type TraceKind, type TraceNode, type TraceReaction, type Tracer } from './tracer.ts';
export type { Tool, ToolContext } from './tool.ts';
export { currentTrace, formatTraceparent, newSpanId, newTrace, parseTraceparent, runInTrace, type TraceContext } from './trace.ts';
export { reply, type Reply } from './reply.ts';
export { topic, type Topic, type Wire } from './schema-types.ts';
export { reshapeBySchema } from './schema-inputs.ts';
export type { EndpointInput, TopicRef, TypedEvent, TypedRequest } from './typed-tools.ts';
export { durationMs, MAX_DURATION_MS } from './durations.ts';
export { messageLimit } from './message-limit.ts';
export { INT64_MAX, INT64_MIN, jsToValue, MAX_VALUE_DEPTH, valueToJs, type JsRecord, type JsValue } from './values.ts';
export { checkValue } from './normalize.ts';
export { LogLevel } from '../proto/gen/microcore/v1/logger_pb.js';
