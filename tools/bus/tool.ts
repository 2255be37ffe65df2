// The bus tool, in-process driver. Publish is fire-and-forget (accepted or
// refused at once; delivery runs after it returns); Request waits for one
// subscriber's answer or the timeout. Delivery: each consumer group gets an event
// once (round-robin within the group; the default group is the subscriber's
// identity), each broadcast subscription gets every event; events with the same
// key reach a subscription in publish order; a failed delivery is retried with
// exponential backoff, then dead-lettered to `_dlq.<topic>`; a subscription
// whose events keep dying is dropped, announced on `system.subscriber.dropped`.
// The envelope's source, trace and parent are the kernel's, never the payload's.
import { randomUUID } from 'node:crypto';
import {
  checkTopic,
  currentTrace,
  durationMs,
  jsToValue,
  mcError,
  newSpanId,
  newTrace,
  runInTrace,
  toMcError,
  type CallContext,
  type JsValue,
  type Plain,
  type Subscription,
  type ToolContext,
  type ToolMethods,
  type TraceNode,
} from '../../kernel/index.ts';
import type { BusRequestRequest, Envelope, PublishRequest, SubscribeRequest, UnsubscribeRequest } from '../../proto/gen/microcore/v1/bus_pb.js';

type Env = Plain<Envelope>;

/** The identity the bus publishes its own events (dead letters, drops) under. */
export const BUS_SOURCE = 'tool/bus';
export const DROPPED_TOPIC = 'system.subscriber.dropped';
const DEFAULT_RETRIES = 3;
// Backoff doubles per retry: past this the delays stop making sense (and Node
// treats a delay over 2^31 ms as 1 ms).
const MAX_RETRIES = 16;
const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

export default class InProcessBus implements ToolMethods<'bus'> {
  static readonly contract = 'bus';
  #ctx?: ToolContext;
  #retryBaseMs = 100;
  #poisonAfter = 3;
  #closed = false;
  #turn = new Map<string, number>();
  #keyTails = new Map<string, Promise<void>>();
  #deadStreak = new Map<string, number>();
  #inFlight = new Set<Promise<void>>();

  setup(ctx: ToolContext): void {
    this.#ctx = ctx;
    this.#retryBaseMs = durationMs(ctx.env.BUS_RETRY_BASE_MS, 'BUS_RETRY_BASE_MS', 100, 'MC_ERR_TOOL_SETUP');
    this.#poisonAfter = Number(ctx.env.BUS_POISON_AFTER || 3);
  }

  subscribe(input: Plain<SubscribeRequest>, call: CallContext) {
    if (input.maxRetries > MAX_RETRIES) throw mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} asked for ${input.maxRetries} retries on '${input.topic}'; at most ${MAX_RETRIES}`, { field: 'maxRetries' });
    const sub = this.#ctx!.subscriptions.add({
      topic: input.topic,
      owner: call.caller,
      handlerId: input.handlerId,
      group: input.group || call.caller,
      broadcast: input.broadcast,
      maxRetries: input.maxRetries > 0 ? input.maxRetries : DEFAULT_RETRIES,
    });
    return { subscriptionId: sub.id };
  }

  unsubscribe(input: Plain<UnsubscribeRequest>, call: CallContext) {
    const sub = this.#ctx!.subscriptions.get(input.subscriptionId);
    if (sub && sub.owner !== call.caller) throw mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} tried to remove subscription ${input.subscriptionId}, which belongs to ${sub.owner}`, { subscriptionId: input.subscriptionId });
    this.#ctx!.subscriptions.remove(input.subscriptionId);
    return {};
  }

  publish(input: Plain<PublishRequest>, call: CallContext) {
    const env = this.#envelope(input.topic, input.payload ?? null, input.key, call.caller);
    this.#send(env);
    return { id: env.id };
  }

  async request(input: Plain<BusRequestRequest>, call: CallContext) {
    const env = this.#envelope(input.topic, input.payload ?? null, '', call.caller);
    const traced = this.#ctx!.tracer.begin({ id: env.id, parentId: env.parentId, traceId: env.traceId, kind: 'request', name: env.topic, source: env.source, payloadKeys: keysOf(env.payload ?? null) });
    const subs = this.#ctx!.subscriptions.forTopic(env.topic);
    if (subs.length === 0) {
      const error = mcError('MC_ERR_BUS_NO_SUBSCRIBER', `${call.caller} requested '${env.topic}', which no plugin subscribes to`, { topic: env.topic });
      traced.end({ code: error.code });
      throw error;
    }
    const sub = this.#next(`request:${env.topic}`, subs);
    const timeoutMs = durationMs(input.timeoutMs, `${call.caller} bus.request timeoutMs`, 0) || DEFAULT_REQUEST_TIMEOUT_MS;
    // The caller's wasm instance (if any) stays marked busy, so a request it would
    // have to answer itself fails fast instead of waiting out the timeout.
    const context = { traceId: env.traceId, spanId: newSpanId(), eventId: env.id, insideWasm: currentTrace()?.insideWasm };
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const answer = await Promise.race([
        runInTrace(context, () => this.#ctx!.invoke(sub.owner, sub.handlerId, { case: 'event', value: env })),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(mcError('MC_ERR_BUS_TIMEOUT', `${call.caller} requested '${env.topic}'; ${sub.owner} did not answer within ${timeoutMs} ms`, { topic: env.topic, subscriber: sub.owner })), timeoutMs);
        }),
      ]);
      const payload = answer.case === 'value' ? answer.value : null;
      // A reply the contract cannot carry is the answering plugin's fault: say so here.
      jsToValue(payload, `the reply of ${sub.owner} to '${env.topic}'`);
      this.#react(traced.node, sub, started, 1);
      traced.end();
      return { payload };
    } catch (err) {
      const error = toMcError(err, 'MC_ERR_HANDLER_FAILED', `${sub.owner} answering '${env.topic}'`);
      this.#react(traced.node, sub, started, 1, error.code);
      traced.end({ code: error.code });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves once every delivery accepted so far (and those they caused) is done. */
  async idle(): Promise<void> {
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
  }

  async shutdown(): Promise<void> {
    this.#closed = true;
    await this.idle();
  }

  // ---- delivery ----

  #envelope(topic: string, payload: JsValue, key: string, source: string): Env {
    if (this.#closed) throw mcError('MC_ERR_TOOL_UNAVAILABLE', `${source} published '${topic}' after the bus shut down`, { topic });
    checkTopic(topic, source);
    const trace = currentTrace() ?? newTrace();
    return { id: randomUUID(), topic, payload, traceId: trace.traceId, parentId: trace.eventId ?? '', source, timeUnixMs: BigInt(Date.now()), key, attempt: 1 };
  }

  /** Publishes an envelope: traced as an event (no duration; its reactions say how long), then delivered. */
  #send(env: Env): void {
    const node = this.#ctx!.tracer.record({ id: env.id, parentId: env.parentId, traceId: env.traceId, kind: 'event', name: env.topic, source: env.source, payloadKeys: keysOf(env.payload ?? null) });
    this.#fanOut(env, node);
  }

  /** One subscription per consumer group, plus every broadcast subscription. */
  #fanOut(env: Env, node: TraceNode): void {
    const groups = new Map<string, Subscription[]>();
    const targets: Subscription[] = [];
    for (const sub of this.#ctx!.subscriptions.forTopic(env.topic)) {
      if (sub.broadcast) targets.push(sub);
      else groups.set(sub.group, [...(groups.get(sub.group) ?? []), sub]);
    }
    for (const [group, subs] of groups) targets.push(this.#next(`${env.topic}\u0000${group}`, subs));
    for (const sub of targets) this.#track(this.#ordered(sub, env, node));
  }

  #next(key: string, subs: Subscription[]): Subscription {
    const n = this.#turn.get(key) ?? 0;
    this.#turn.set(key, n + 1);
    return subs[n % subs.length]!;
  }

  /** Same key, same subscription: one after the other, in publish order. */
  #ordered(sub: Subscription, env: Env, node: TraceNode): Promise<void> {
    if (!env.key) return this.#deliver(sub, env, node);
    const k = `${sub.id}\u0000${env.key}`;
    const tail = (this.#keyTails.get(k) ?? Promise.resolve()).then(() => this.#deliver(sub, env, node));
    this.#keyTails.set(k, tail);
    void tail.then(() => {
      if (this.#keyTails.get(k) === tail) this.#keyTails.delete(k);
    });
    return tail;
  }

  #track(delivery: Promise<void>): void {
    this.#inFlight.add(delivery);
    void delivery.finally(() => this.#inFlight.delete(delivery));
  }

  async #deliver(sub: Subscription, env: Env, node: TraceNode): Promise<void> {
    let error;
    for (let attempt = 1; attempt <= sub.maxRetries + 1; attempt++) {
      if (!this.#ctx!.subscriptions.get(sub.id)) return;
      const started = performance.now();
      try {
        await runInTrace({ traceId: env.traceId, spanId: newSpanId(), eventId: env.id }, () => this.#ctx!.invoke(sub.owner, sub.handlerId, { case: 'event', value: { ...env, attempt } }));
        this.#react(node, sub, started, attempt);
        this.#deadStreak.delete(sub.id);
        return;
      } catch (err) {
        error = toMcError(err, 'MC_ERR_HANDLER_FAILED', `${sub.owner} handling '${env.topic}'`);
        this.#react(node, sub, started, attempt, error.code);
        // Shutting down: no more attempts (the plugins are going away too).
        if (this.#closed) break;
        if (attempt <= sub.maxRetries) await sleep(this.#retryBaseMs * 2 ** (attempt - 1));
      }
    }
    if (this.#closed) {
      this.#ctx!.log.warn(`'${env.topic}' (${env.id}) failed in ${sub.owner} while the bus shut down; not dead-lettered`, { code: error!.code, subscriber: sub.owner });
      return;
    }
    // A delivery never rejects: a keyed queue would stall behind it, and nobody awaits it.
    try {
      this.#deadLetter(sub, env, error!);
    } catch (err) {
      this.#ctx!.log.error(`could not dead-letter '${env.topic}' (${env.id}): ${(err as Error).message}`, { subscriber: sub.owner });
    }
  }

  #deadLetter(sub: Subscription, env: Env, error: { code: string; message: string }): void {
    const ctx = this.#ctx!;
    ctx.log.warn(`'${env.topic}' (${env.id}) failed ${sub.maxRetries + 1} times in ${sub.owner}; sent to _dlq.${env.topic}`, { code: error.code, subscriber: sub.owner });
    const payload = { event: { ...env, timeUnixMs: env.timeUnixMs }, subscriber: sub.owner, attempts: BigInt(sub.maxRetries + 1), error: { code: error.code, message: error.message } };
    runInTrace({ traceId: env.traceId, spanId: newSpanId(), eventId: env.id }, () => this.#send(this.#envelope(`_dlq.${env.topic}`, payload as never, '', BUS_SOURCE)));
    const streak = (this.#deadStreak.get(sub.id) ?? 0) + 1;
    this.#deadStreak.set(sub.id, streak);
    if (streak < this.#poisonAfter || !ctx.subscriptions.remove(sub.id)) return;
    this.#deadStreak.delete(sub.id);
    const reason = `${streak} events in a row failed every attempt; last: ${error.code}`;
    ctx.log.error(`dropped ${sub.owner}'s subscription to '${sub.topic}': ${reason}`, { subscriber: sub.owner, topic: sub.topic });
    runInTrace({ traceId: env.traceId, spanId: newSpanId(), eventId: env.id }, () =>
      this.#send(this.#envelope(DROPPED_TOPIC, { subscriptionId: sub.id, topic: sub.topic, subscriber: sub.owner, group: sub.group, reason }, '', BUS_SOURCE)),
    );
  }

  #react(node: TraceNode, sub: Subscription, started: number, attempts: number, code?: string): void {
    this.#ctx!.tracer.react(node, { identity: sub.owner, ms: performance.now() - started, ok: !code, code, attempts });
  }
}

function keysOf(payload: JsValue): string[] {
  return payload && typeof payload === 'object' && !Array.isArray(payload) && !(payload instanceof Uint8Array) ? Object.keys(payload).sort() : [];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
