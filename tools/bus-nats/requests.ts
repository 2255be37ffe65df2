// Bus.Request on NATS: core request/reply, not JetStream (a request is
// answered now or not at all, so nothing is stored). Each kernel with a
// subscription to a topic listens on <prefix>.rq.<topic> in one queue group, so
// the server gives each request to one kernel, which hands it to one of its
// subscriptions round-robin. The answer is a BusRequestResponse, or a
// microcore.v1.Error under the header Mc-Error; Mc-Subscriber names who answered.
// No kernel listening is the server's "no responders": MC_ERR_BUS_NO_SUBSCRIBER,
// as the in-process bus says it.
//
// Unlike the in-process bus, a wasm module that requests a topic it answers
// itself waits for the timeout (the marker that fails that fast does not cross
// the server).
import { headers as natsHeaders, RequestError, TimeoutError, type Msg, type NatsConnection, type Subscription as NatsSubscription } from '@nats-io/transport-node';
import { isFromPlugin, markFromPlugin, mcError, McError, runInTrace, toMcError, type JsValue, type Subscription, type ToolContext } from '../../kernel/index.ts';
import { checkReply, type Env } from '../bus/rules.ts';
import type { Topics } from '../bus/topics.ts';
import { decodeEnvelope, decodeError, decodeReply, encodeEnvelope, encodeError, encodeReply, tooLarge } from './codec.ts';
import { requestSubject, type Layout } from './streams.ts';

const SUBSCRIBER = 'Mc-Subscriber';
// The answering kernel's id, for the requester's trace: where the reaction ran.
const KERNEL = 'Mc-Kernel';
const FAILED = 'Mc-Error';
// The error is the answering plugin's own (its handler threw it), not the bus's:
// the kernel does not count it against the bus's health.
const FROM_PLUGIN = 'Mc-From-Plugin';

/** What a request came to; `subscriber` is the identity that answered ('' when none did), `kernel` the kernel it ran in. */
export type Answer = ({ payload: JsValue; error?: undefined } | { error: McError }) & { subscriber: string; kernel: string };

export class Requests {
  #nc: NatsConnection;
  #ctx: ToolContext;
  #topics: Topics;
  #layout: Layout;
  #listening = new Map<string, NatsSubscription>();
  #turn = new Map<string, number>();

  constructor(nc: NatsConnection, ctx: ToolContext, topics: Topics, layout: Layout) {
    this.#nc = nc;
    this.#ctx = ctx;
    this.#topics = topics;
    this.#layout = layout;
  }

  /** Sends a request: its answer or the error its subscriber raised; throws for no subscriber or the timeout. */
  async send(env: Env, caller: string, timeoutMs: number): Promise<Answer> {
    let msg: Msg;
    const bytes = encodeEnvelope(env);
    try {
      msg = await this.#nc.request(requestSubject(this.#layout, env.topic), bytes, { timeout: timeoutMs });
    } catch (err) {
      throw tooLarge(err, this.#nc, `${caller}'s request on '${env.topic}'`, bytes.length, { topic: env.topic }) ?? this.#unanswered(env, caller, timeoutMs, err);
    }
    const subscriber = msg.headers?.get(SUBSCRIBER) ?? '';
    const kernel = msg.headers?.get(KERNEL) ?? '';
    if (msg.headers?.get(FAILED)) {
      const error = decodeError(msg.data);
      if (msg.headers.get(FROM_PLUGIN)) markFromPlugin(error);
      return { error, subscriber, kernel };
    }
    try {
      const payload = decodeReply(msg.data);
      // The answering kernel checked it too; a kernel whose declarations differ (another version of the app) is caught here.
      checkReply(this.#topics, env, subscriber, caller, payload);
      return { payload, subscriber, kernel };
    } catch (err) {
      return { error: toMcError(err, 'MC_ERR_HANDLER_FAILED', `the reply of ${subscriber} to '${env.topic}'`), subscriber, kernel };
    }
  }

  #unanswered(env: Env, caller: string, timeoutMs: number, err: unknown): McError {
    if (err instanceof RequestError && err.isNoResponders()) {
      return mcError('MC_ERR_BUS_NO_SUBSCRIBER', `${caller} requested '${env.topic}', which no plugin subscribes to (no kernel on NATS_PREFIX=${this.#layout.prefix} listens)`, { topic: env.topic }, err);
    }
    if (err instanceof TimeoutError || (err as Error).cause instanceof TimeoutError) {
      // Which kernel took it is unknown until it answers: name this kernel's subscribers, the likely ones.
      const who = [...new Set(this.#ctx.subscriptions.forTopic(env.topic).map((s) => s.owner))].join(' or ') || 'its subscriber (in another kernel)';
      return mcError('MC_ERR_BUS_TIMEOUT', `${caller} requested '${env.topic}'; ${who} did not answer within ${timeoutMs} ms`, { topic: env.topic, subscriber: who }, err);
    }
    return mcError('MC_ERR_BUS_PUBLISH', `${caller} requested '${env.topic}' and NATS failed: ${(err as Error).message}`, { topic: env.topic }, err, 'Check that nats-server is up at NATS_URL; the client reconnects by itself.');
  }

  /** Answers requests on a topic from now on (this kernel has a subscription to it). Resolves once the server knows. */
  async listen(topic: string): Promise<void> {
    if (this.#listening.has(topic)) return;
    const sub = this.#nc.subscribe(requestSubject(this.#layout, topic), { queue: `${this.#layout.prefix}.rq`, callback: (err, msg) => {
        if (!err) void this.#answer(topic, msg);
      },
    });
    this.#listening.set(topic, sub);
    await this.#nc.flush();
  }

  /** Stops answering a topic once this kernel has no subscription to it. */
  forget(topic: string): void {
    if (this.#ctx.subscriptions.forTopic(topic).length) return;
    this.#listening.get(topic)?.unsubscribe();
    this.#listening.delete(topic);
  }

  close(): void {
    for (const sub of this.#listening.values()) sub.unsubscribe();
    this.#listening.clear();
  }

  async #answer(topic: string, msg: Msg): Promise<void> {
    const h = natsHeaders();
    h.set(KERNEL, this.#ctx.kernelId);
    let sub: Subscription | undefined;
    try {
      const env = decodeEnvelope(msg.data);
      const subs = this.#ctx.subscriptions.forTopic(topic);
      // The kernel removed the last one (its plugin stopped) since this kernel listened.
      if (subs.length === 0) {
        this.forget(topic);
        throw mcError('MC_ERR_BUS_NO_SUBSCRIBER', `${env.source} requested '${topic}', whose last subscriber in this kernel has just gone`, { topic }, undefined, 'Send the request again: another kernel may answer it.');
      }
      sub = this.#next(topic, subs);
      h.set(SUBSCRIBER, sub.owner);
      const answer = await runInTrace({ traceId: env.traceId, eventId: env.id }, () => this.#ctx.invoke(sub!.owner, sub!.handlerId, { case: 'event', value: env }));
      const payload = answer.case === 'value' ? answer.value : null;
      checkReply(this.#topics, env, sub.owner, env.source, payload);
      const reply = encodeReply(payload);
      try {
        msg.respond(reply, { headers: h });
      } catch (err) {
        throw tooLarge(err, this.#nc, `the reply of ${sub.owner} to '${topic}'`, reply.length, { topic, part: 'reply' }) ?? err;
      }
    } catch (err) {
      h.set(FAILED, '1');
      if (isFromPlugin(err)) h.set(FROM_PLUGIN, '1');
      msg.respond(encodeError(toMcError(err, 'MC_ERR_HANDLER_FAILED', `${sub?.owner ?? 'the bus'} answering '${topic}'`)), { headers: h });
    }
  }

  #next(topic: string, subs: readonly Subscription[]): Subscription {
    const n = this.#turn.get(topic) ?? 0;
    this.#turn.set(topic, n + 1);
    return subs[n % subs.length]!;
  }
}
