// The bus's rules every driver keeps alike (tools/bus in this process,
// tools/bus-nats on NATS JetStream), so a plugin cannot tell which one runs:
// the envelope the kernel builds, the limits on a subscription, a request's
// timeout, and the checks on a reply. Written once here; each driver imports them.
import { randomUUID } from 'node:crypto';
import { checkTopic, checkValue, currentTrace, durationMs, mcError, newTrace, type CallContext, type JsValue, type Plain, type ToolContext } from '../../kernel/index.ts';
import type { BusRequestRequest, Envelope, SubscribeRequest } from '../../proto/gen/microcore/v1/bus_pb.js';
import type { Topics } from './topics.ts';

export type Env = Plain<Envelope>;

/** The identity the bus publishes its own events (dead letters, drops) under. */
export const BUS_SOURCE = 'tool/bus';
export const DROPPED_TOPIC = 'system.subscriber.dropped';
const DEFAULT_RETRIES = 3;
// Backoff doubles per retry: past this the delays stop making sense (and Node
// treats a delay over 2^31 ms as 1 ms).
const MAX_RETRIES = 16;
const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

/** BUS_DRIVER names a driver: memory (the default) or nats; anything else is a typo to report at setup. */
export function checkDriver(env: ToolContext['env']): void {
  const driver = env.BUS_DRIVER;
  if (driver && driver !== 'memory' && driver !== 'nats') throw mcError('MC_ERR_TOOL_SETUP', `BUS_DRIVER=${driver} names no bus driver`, { setting: 'BUS_DRIVER' }, undefined, 'Use memory (the default, in this process) or nats (NATS JetStream, with NATS_URL).');
}

/** The retries a subscription gets (0 means the default), refusing more than the backoff can sensibly wait. */
export function retriesOf(input: Plain<SubscribeRequest>, call: CallContext): number {
  if (input.maxRetries > MAX_RETRIES) throw mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} asked for ${input.maxRetries} retries on '${input.topic}'; at most ${MAX_RETRIES}`, { field: 'maxRetries' });
  return input.maxRetries > 0 ? input.maxRetries : DEFAULT_RETRIES;
}

/** A request's time limit in ms (0 means the default). */
export function requestTimeoutMs(input: Plain<BusRequestRequest>, call: CallContext): number {
  return durationMs(input.timeoutMs, `${call.caller} bus.request timeoutMs`, 0) || DEFAULT_REQUEST_TIMEOUT_MS;
}

/**
 * A new envelope: id, trace, parent and source are the kernel's, never the
 * payload's. `closed` is whether the driver has shut down (nothing is accepted then).
 */
export function newEnvelope(topic: string, payload: JsValue, key: string, source: string, closed: boolean): Env {
  if (closed) throw mcError('MC_ERR_TOOL_UNAVAILABLE', `${source} published '${topic}' after the bus shut down`, { topic });
  checkTopic(topic, source);
  const trace = currentTrace() ?? newTrace();
  return { id: randomUUID(), topic, payload, traceId: trace.traceId, parentId: trace.eventId ?? '', source, timeUnixMs: BigInt(Date.now()), key, attempt: 1 };
}

/** A reply the contract cannot carry, or that fails the topic's reply schema, is the answering plugin's fault: say so. */
export function checkReply(topics: Topics, env: Env, subscriber: string, caller: string, payload: JsValue): void {
  checkValue(payload, `the reply of ${subscriber} to '${env.topic}'`);
  topics.check(env.topic, 'reply', payload, `the reply of ${subscriber} to ${caller}`);
}

/** The trace node's fields for an envelope (an event or a request). */
export function nodeOf(env: Env, kind: 'event' | 'request') {
  return { id: env.id, parentId: env.parentId, traceId: env.traceId, kind, name: env.topic, source: env.source, payloadKeys: keysOf(env.payload ?? null) };
}

function keysOf(payload: JsValue): string[] {
  return payload && typeof payload === 'object' && !Array.isArray(payload) && !(payload instanceof Uint8Array) ? Object.keys(payload).sort() : [];
}

/** What became of the events the bus accepted, per subscription they went to. */
export interface DeliveryCounts {
  delivered: number;
  deadLettered: number;
}
