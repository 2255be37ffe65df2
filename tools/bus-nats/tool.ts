// The bus tool on NATS JetStream (BUS_DRIVER=nats), for several kernels sharing
// one bus. The same methods, envelope and checks as the in-process bus
// (tools/bus/rules.ts, topics.ts), so a plugin cannot tell which one runs.
//
// Publish resolves once the server has stored the event (Nats-Msg-Id = the
// envelope id: a retried publish is stored once). A consumer group is one
// durable consumer per (topic, group) that every kernel's members pull from, so
// an event reaches one member of the group across all kernels; a broadcast
// subscription has a consumer of its own and gets every event (streams.ts).
// Delivery, retries, dead letters and drops: puller.ts, dead-letters.ts; a
// group's record of what it handled, which shields it from an event handed out
// again after a kernel died before acking it: ledger.ts.
// Request/reply: core NATS, requests.ts.
//
// Order: a subscription gets its events one at a time, in the order the server
// stored them, and that is all. A failed event is handed out again after its
// backoff, behind the events that came meanwhile, maybe to another member of
// the group in another kernel; a group's members in several kernels take events
// in parallel, so two events of one key may be handled at once. nats-server 2.9
// has no per-key order across consumers, and the envelope's key promises none
// in the contract either (bus.proto, Envelope.key). Partitioned subjects with
// one message in flight per partition would give it, at the price of a group's
// parallelism: not done.
//
// Differences from the in-process bus, by design: events a removed subscription
// still had stay with its group on the server (for the next member, in any
// kernel, however long) instead of moving or being dead-lettered; an event
// failing at shutdown is nak'd for another kernel rather than dead-lettered; a
// handler never runs in the publisher's call (no synchronous delivery); an
// event, request or reply past the server's max_payload (1 MiB unless
// nats-server's configuration raises it) is refused as MC_ERR_MESSAGE_TOO_LARGE
// (codec.ts), where the in-process bus carries what the kernel lets through.
import { jetstream, jetstreamManager, type Consumer, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { durationMs, mcError, runInTrace, type CallContext, type JsValue, type Plain, type ToolContext, type ToolMethods, type TraceNode } from '../../kernel/index.ts';
import { BUS_SOURCE, checkDriver, newEnvelope, nodeOf, requestTimeoutMs, retriesOf, type DeliveryCounts, type Env } from '../bus/rules.ts';
import { Topics } from '../bus/topics.ts';
import type { BusRequestRequest, DeclareTopicRequest, PublishRequest, SubscribeRequest, UnsubscribeRequest } from '../../proto/gen/microcore/v1/bus_pb.js';
import { encodeEnvelope, tooLarge } from './codec.ts';
import { DeadLetters } from './dead-letters.ts';
import { Ledger } from './ledger.ts';
import { Puller } from './puller.ts';
import { Recent } from './recent.ts';
import { Requests } from './requests.ts';
import { ackWaitMs, connectNats, natsSettings } from './settings.ts';
import { broadcastConsumer, ensureStreams, groupConsumer, streamOf, subjectOf, type Layout } from './streams.ts';

// Trace nodes of recent events by id, so a delivery in this kernel reacts on the node its publish recorded.
const NODES_KEPT = 1000;

export default class NatsBus implements ToolMethods<'bus'> {
  static readonly contract = 'bus';
  static enabled(env: ToolContext['env']): boolean {
    return env.BUS_DRIVER === 'nats';
  }
  #ctx!: ToolContext;
  #nc!: NatsConnection;
  #js!: JetStreamClient;
  #jsm!: JetStreamManager;
  #layout!: Layout;
  #topics!: Topics;
  #requests!: Requests;
  #ends!: DeadLetters;
  #ledger!: Ledger;
  #retryBaseMs = 0;
  #pullers = new Map<string, Puller>();
  #nodes = new Recent<TraceNode>(NODES_KEPT);
  #publishing = 0;
  #deleting: Promise<unknown>[] = [];
  #closed = false;

  async setup(ctx: ToolContext): Promise<void> {
    checkDriver(ctx.env);
    this.#ctx = ctx;
    const settings = natsSettings(ctx.env);
    const { shownUrl, prefix } = settings;
    this.#layout = { prefix, ackWaitMs: ackWaitMs(ctx.env) };
    this.#retryBaseMs = durationMs(ctx.env.BUS_RETRY_BASE_MS, 'BUS_RETRY_BASE_MS', 100, 'MC_ERR_TOOL_SETUP');
    try {
      this.#nc = await connectNats(settings, `microcore ${prefix}`);
      this.#jsm = await jetstreamManager(this.#nc);
      this.#js = jetstream(this.#nc);
      await ensureStreams(this.#jsm, this.#layout);
      this.#ledger = await Ledger.open(this.#nc, prefix, this.#layout.ackWaitMs);
    } catch (err) {
      // A failed setup holds no connection (it would reconnect for ever and keep the process alive).
      await this.#nc?.close();
      this.#closed = true; // shutdown has nothing to close
      throw mcError('MC_ERR_TOOL_SETUP', `the bus (BUS_DRIVER=nats) could not use NATS at NATS_URL=${shownUrl}: ${(err as Error).message}`, { setting: 'NATS_URL', url: shownUrl }, err, 'Start nats-server with JetStream (nats-server -js) there, or point NATS_URL at a running one; BUS_DRIVER=memory runs the bus in this process instead.');
    }
    this.#topics = new Topics(ctx.subscriptions);
    this.#requests = new Requests(this.#nc, ctx, this.#topics, this.#layout);
    this.#ends = new DeadLetters({ ctx, poisonAfter: Number(ctx.env.BUS_POISON_AFTER || 3), raise: (topic, payload, cause) => this.#raise(topic, payload, cause) });
  }

  // Resolves once the consumer exists and this kernel answers requests on the
  // topic, so an event published right after reaches the new subscription.
  async subscribe(input: Plain<SubscribeRequest>, call: CallContext) {
    const maxRetries = retriesOf(input, call);
    const sub = this.#ctx.subscriptions.add({ topic: input.topic, owner: call.caller, handlerId: input.handlerId, group: input.group || call.caller, broadcast: input.broadcast, maxRetries });
    try {
      const { consumer, durable } = await this.#consumer(sub.topic, sub.broadcast ? undefined : sub.group);
      await this.#requests.listen(sub.topic);
      const ledger = durable === undefined ? undefined : this.#ledger.of(durable);
      this.#pullers.set(sub.id, new Puller(sub, consumer, { ctx: this.#ctx, retryBaseMs: this.#retryBaseMs, ackWaitMs: this.#layout.ackWaitMs, ends: this.#ends, ledger, node: (env) => this.#node(env), ended: (p) => this.#ended(p) }));
    } catch (err) {
      this.#ctx.subscriptions.remove(sub.id);
      throw mcError('MC_ERR_TOOL_UNAVAILABLE', `${call.caller} subscribed to '${sub.topic}', and NATS refused the consumer: ${(err as Error).message}`, { topic: sub.topic }, err, 'Check that nats-server is up at NATS_URL with JetStream, then subscribe again.');
    }
    return { subscriptionId: sub.id };
  }

  /** A group's durable consumer (made by the first kernel, found by the others) and its name, or a broadcast subscription's own. */
  async #consumer(topic: string, group: string | undefined): Promise<{ consumer: Consumer; durable?: string }> {
    const stream = streamOf(this.#layout, topic);
    if (group === undefined) return { consumer: await this.#js.consumers.get(stream, (await this.#jsm.consumers.add(stream, broadcastConsumer(this.#layout, topic))).name) };
    const cfg = groupConsumer(this.#layout, topic, group);
    try {
      await this.#jsm.consumers.add(stream, cfg);
    } catch (err) {
      // Made by another kernel with other settings (BUS_NATS_ACK_WAIT_MS): use it as it is.
      await this.#jsm.consumers.info(stream, cfg.durable_name).catch(() => Promise.reject(err));
    }
    return { consumer: await this.#js.consumers.get(stream, cfg.durable_name), durable: cfg.durable_name };
  }

  unsubscribe(input: Plain<UnsubscribeRequest>, call: CallContext) {
    const sub = this.#ctx.subscriptions.get(input.subscriptionId);
    if (sub && sub.owner !== call.caller) throw mcError('MC_ERR_INVALID_ARGUMENT', `${call.caller} tried to remove subscription ${input.subscriptionId}, which belongs to ${sub.owner}`, { subscriptionId: input.subscriptionId });
    this.#ctx.subscriptions.remove(input.subscriptionId);
    // Not awaited: a handler may unsubscribe itself, and its puller waits for it.
    void this.#pullers.get(input.subscriptionId)?.stop();
    return {};
  }

  declareTopic(input: Plain<DeclareTopicRequest>, call: CallContext) {
    this.#topics.declare({ ...input, owner: call.caller });
    return {};
  }

  async publish(input: Plain<PublishRequest>, call: CallContext) {
    const env = newEnvelope(input.topic, input.payload ?? null, input.key, call.caller, this.#closed);
    this.#topics.check(env.topic, 'payload', env.payload ?? null, `${call.caller} published`);
    await this.#send(env);
    return { id: env.id };
  }

  async request(input: Plain<BusRequestRequest>, call: CallContext) {
    const env = newEnvelope(input.topic, input.payload ?? null, '', call.caller, this.#closed);
    this.#topics.check(env.topic, 'payload', env.payload ?? null, `${call.caller} requested`);
    const traced = this.#ctx.tracer.begin(nodeOf(env, 'request'), Number(env.timeUnixMs));
    let answer;
    try {
      answer = await this.#requests.send(env, call.caller, requestTimeoutMs(input, call));
    } catch (err) {
      traced.end({ code: (err as { code?: string }).code });
      throw err;
    }
    const code = answer.error?.code;
    const ms = traced.end({ code });
    this.#ctx.tracer.react(traced.node, { identity: answer.subscriber, ms, ok: !code, code, attempts: 1, kernel: answer.kernel || undefined });
    if (answer.error) throw answer.error;
    return { payload: answer.payload };
  }

  /**
   * Resolves once this kernel's subscriptions have nothing left to take: every
   * consumer they pull from has no event waiting or unacked (retries included),
   * and no handler or publish of the bus's own is under way. Checked twice in a
   * row, since a delivery may publish more.
   */
  async idle(): Promise<void> {
    for (let quiet = 0; quiet < 2; ) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      quiet = (await this.#busy()) ? 0 : quiet + 1;
    }
  }

  async #busy(): Promise<boolean> {
    if (this.#publishing) return true;
    const consumers = new Map<string, Consumer>();
    for (const p of this.#pullers.values()) {
      if (p.busy) return true;
      consumers.set(`${p.sub.topic}\u0000${p.sub.broadcast ? p.sub.id : p.sub.group}`, p.consumer);
    }
    for (const c of consumers.values()) {
      const info = await c.info().catch(() => undefined);
      if (info && info.num_pending + info.num_ack_pending > 0) return true;
    }
    return false;
  }

  /** What became of the events this kernel's subscriptions took so far. */
  counts(): DeliveryCounts {
    return this.#ends?.counts ?? { delivered: 0, deadLettered: 0 };
  }

  // Runs after every plugin stopped. The message each puller holds is acked or
  // nak'd first; what the server still holds stays there for the next kernel.
  async shutdown(): Promise<void> {
    if (this.#closed || !this.#nc) return;
    this.#closed = true;
    this.#requests.close();
    await Promise.all([...this.#pullers.values()].map((p) => p.stop()));
    await Promise.all(this.#deleting);
    await this.#nc.drain();
  }

  /** Stores an envelope on the server (traced here as an event: its reactions say how long). */
  async #send(env: Env): Promise<void> {
    this.#nodes.remember(env.id, this.#ctx.tracer.record(nodeOf(env, 'event'), Number(env.timeUnixMs)));
    this.#publishing++;
    const bytes = encodeEnvelope(env);
    try {
      await this.#js.publish(subjectOf(this.#layout, env.topic), bytes, { msgID: env.id });
    } catch (err) {
      throw tooLarge(err, this.#nc, `${env.source}'s event on '${env.topic}'`, bytes.length, { topic: env.topic }) ?? mcError('MC_ERR_BUS_PUBLISH', `${env.source} published '${env.topic}', and NATS did not store it: ${(err as Error).message}`, { topic: env.topic }, err, 'Check that nats-server is up at NATS_URL with JetStream, then publish again.');
    } finally {
      this.#publishing--;
    }
  }

  /** An event of the bus's own (dead letter, drop), caused by `cause`; sent while shutting down too. */
  #raise(topic: string, payload: JsValue, cause: Env): Promise<void> {
    return runInTrace({ traceId: cause.traceId, eventId: cause.id }, () => this.#send(newEnvelope(topic, payload, '', BUS_SOURCE, false)));
  }

  /** The trace node of an event: recorded here at publish, or now, continuing the publisher's trace from another kernel. */
  #node(env: Env): TraceNode {
    return this.#nodes.get(env.id) ?? this.#nodes.remember(env.id, this.#ctx.tracer.record(nodeOf(env, 'event'), Number(env.timeUnixMs)));
  }

  /** A puller stopped: a broadcast subscription's consumer goes with it, and requests once the topic has no subscription here. */
  #ended(p: Puller): void {
    this.#pullers.delete(p.sub.id);
    // Deleted at once (shutdown waits for it), or the stream would keep its events until the server drops it unused.
    if (p.sub.broadcast) this.#deleting.push(p.consumer.delete().catch(() => false));
    if (!this.#closed) this.#requests.forget(p.sub.topic);
  }
}
