// The bus tool, in-process driver. Publish is fire-and-forget (accepted or
// refused at once; delivery runs after it returns); Request waits for one
// subscriber's answer or the timeout. Delivery: each consumer group gets an event
// once (round-robin within the group; the default group is the subscriber's
// identity), each broadcast subscription gets every event; a subscription gets
// its events one at a time in publish order; a failed delivery is retried with
// exponential backoff, then dead-lettered to `_dlq.<topic>`; a subscription
// whose events keep dying is dropped, announced on `system.subscriber.dropped`;
// events queued for a subscription that goes away move to its group or the
// dead letters (delivery.ts).
// The envelope's source, trace and parent are the kernel's, never the payload's.
import {
  currentTrace,
  durationMs,
  McError,
  mcError,
  runInTrace,
  toMcError,
  type CallContext,
  type InvokeOutput,
  type Subscription,
  type Tracer,
  type JsValue,
  type Plain,
  type ToolContext,
  type ToolMethods,
} from '../../kernel/index.ts';
import { Delivery } from './delivery.ts';
import { BUS_SOURCE, checkDriver, checkReply, newEnvelope, nodeOf, requestTimeoutMs, retriesOf, type DeliveryCounts, type Env } from './rules.ts';
import { Topics } from './topics.ts';
import type { BusRequestRequest, DeclareTopicRequest, PublishRequest, SubscribeRequest, UnsubscribeRequest } from '../../proto/gen/microcore/v1/bus_pb.js';

export { BUS_SOURCE, DROPPED_TOPIC } from './rules.ts';

export default class InProcessBus implements ToolMethods<'bus'> {
  static readonly contract = 'bus';
  /** The default driver: BUS_DRIVER unset or `memory` (`nats` is tools/bus-nats). */
  static enabled(env: ToolContext['env']): boolean {
    return env.BUS_DRIVER !== 'nats';
  }
  #ctx?: ToolContext;
  #delivery?: Delivery;
  #topics?: Topics;
  #closed = false;

  setup(ctx: ToolContext): void {
    checkDriver(ctx.env);
    this.#ctx = ctx;
    this.#topics = new Topics(ctx.subscriptions);
    this.#delivery = new Delivery({
      ctx,
      retryBaseMs: durationMs(ctx.env.BUS_RETRY_BASE_MS, 'BUS_RETRY_BASE_MS', 100, 'MC_ERR_TOOL_SETUP'),
      poisonAfter: Number(ctx.env.BUS_POISON_AFTER || 3),
      raise: (topic, payload, cause) => this.#raise(topic, payload, cause),
    });
  }

  subscribe(input: Plain<SubscribeRequest>, call: CallContext) {
    const maxRetries = retriesOf(input, call);
    const sub = this.#ctx!.subscriptions.add({
      topic: input.topic,
      owner: call.caller,
      handlerId: input.handlerId,
      group: input.group || call.caller,
      broadcast: input.broadcast,
      maxRetries,
    });
    return { subscriptionId: sub.id };
  }

  unsubscribe(input: Plain<UnsubscribeRequest>, call: CallContext) {
    const sub = this.#ctx!.subscriptions.get(input.subscriptionId);
    if (sub && sub.owner !== call.caller) throw mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} tried to remove subscription ${input.subscriptionId}, which belongs to ${sub.owner}`, { subscriptionId: input.subscriptionId });
    this.#ctx!.subscriptions.remove(input.subscriptionId);
    return {};
  }

  declareTopic(input: Plain<DeclareTopicRequest>, call: CallContext) {
    this.#topics!.declare({ ...input, owner: call.caller });
    return {};
  }

  publish(input: Plain<PublishRequest>, call: CallContext) {
    const env = this.#envelope(input.topic, input.payload ?? null, input.key, call.caller);
    this.#topics!.check(env.topic, 'payload', env.payload ?? null, `${call.caller} published`);
    this.#send(env);
    return { id: env.id };
  }

  // Answers at once when the subscriber did (a native handler that returned a
  // value): no promise, no timer. Otherwise the reply is awaited within the timeout.
  request(input: Plain<BusRequestRequest>, call: CallContext) {
    const env = this.#envelope(input.topic, input.payload ?? null, '', call.caller);
    this.#topics!.check(env.topic, 'payload', env.payload ?? null, `${call.caller} requested`);
    const traced = this.#ctx!.tracer.begin(nodeOf(env, 'request'), Number(env.timeUnixMs));
    const subs = this.#ctx!.subscriptions.forTopic(env.topic);
    if (subs.length === 0) {
      const error = mcError('MC_ERR_BUS_NO_SUBSCRIBER', `${call.caller} requested '${env.topic}', which no plugin subscribes to`, { topic: env.topic });
      traced.end({ code: error.code });
      throw error;
    }
    const sub = subs.length === 1 ? subs[0]! : this.#delivery!.next(`request:${env.topic}`, subs);
    const timeoutMs = requestTimeoutMs(input, call);
    // The caller's wasm instance (if any) stays marked busy, so a request it would
    // have to answer itself fails fast instead of waiting out the timeout.
    const context = { traceId: env.traceId, eventId: env.id, insideWasm: currentTrace()?.insideWasm };
    const replied = { env, sub, traced, caller: call.caller };
    let pending;
    try {
      pending = runInTrace(context, () => this.#ctx!.invoke(sub.owner, sub.handlerId, { case: 'event', value: env }));
    } catch (err) {
      throw this.#unanswered(replied, err);
    }
    if (!(pending instanceof Promise)) return this.#reply(replied, pending);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(mcError('MC_ERR_BUS_TIMEOUT', `${call.caller} requested '${env.topic}'; ${sub.owner} did not answer within ${timeoutMs} ms`, { topic: env.topic, subscriber: sub.owner })), timeoutMs);
    });
    return Promise.race([pending, timeout])
      .then(
        (answer) => this.#reply(replied, answer),
        (err: unknown) => {
          throw this.#unanswered(replied, err);
        },
      )
      .finally(() => clearTimeout(timer));
  }

  #reply(r: Replied, answer: InvokeOutput): { payload: JsValue } {
    const payload = answer.case === 'value' ? answer.value : null;
    try {
      checkReply(this.#topics!, r.env, r.sub.owner, r.caller, payload);
    } catch (err) {
      throw this.#unanswered(r, err);
    }
    this.#reacted(r);
    return { payload };
  }

  #unanswered(r: Replied, err: unknown): McError {
    const error = toMcError(err, 'MC_ERR_HANDLER_FAILED', `${r.sub.owner} answering '${r.env.topic}'`);
    this.#reacted(r, error.code);
    return error;
  }

  /** The request's node and its one reaction, closed with one reading of the clock. */
  #reacted(r: Replied, code?: string): void {
    const ms = r.traced.end({ code });
    this.#ctx!.tracer.react(r.traced.node, { identity: r.sub.owner, ms, ok: !code, code, attempts: 1 });
  }

  /** Resolves once every event accepted so far (and those they caused) is delivered or dead-lettered. */
  idle(): Promise<void> {
    return this.#delivery?.idle() ?? Promise.resolve();
  }

  /** What became of the accepted events so far, one count per subscription an event went to. */
  counts(): DeliveryCounts {
    return this.#delivery?.counts ?? { delivered: 0, deadLettered: 0 };
  }

  // Runs after every plugin stopped (the kernel removed each one's subscriptions as
  // it stopped, so their queued events moved or were dead-lettered then).
  async shutdown(): Promise<void> {
    this.#closed = true;
    await this.#delivery?.close();
  }

    // ---- delivery (delivery.ts) ----

  #envelope(topic: string, payload: JsValue, key: string, source: string): Env {
    return newEnvelope(topic, payload, key, source, this.#closed);
  }

  /** Publishes an envelope: traced as an event (no duration; its reactions say how long), then queued for each subscription. */
  #send(env: Env): void {
    const node = this.#ctx!.tracer.record(nodeOf(env, 'event'), Number(env.timeUnixMs));
    this.#delivery!.fanOut(env, node);
  }

  /** An event of the bus's own (dead letter, drop), caused by `cause`. */
  #raise(topic: string, payload: JsValue, cause: Env): void {
    runInTrace({ traceId: cause.traceId, eventId: cause.id }, () => this.#send(this.#envelope(topic, payload, '', BUS_SOURCE)));
  }
}

/** A request on its way: what its reply or its failure is recorded against. */
interface Replied {
  env: Env;
  sub: Subscription;
  traced: ReturnType<Tracer['begin']>;
  caller: string;
}
