// One subscription's deliveries: it pulls batches of up to PULL_BATCH messages
// from its consumer (a group's durable, shared with every member in every
// kernel, or a broadcast subscription's own) and hands them to its handler one
// at a time, so a subscription gets its events one at a time, in the stream's
// order, without a round trip to the server per event. A failure is nak'd with the backoff delay: the
// server hands the event out again then, to this member or another of its group
// in any kernel, and this subscription goes on with its next events meanwhile
// (the in-process bus holds them back instead). Past maxRetries the bus
// dead-letters it (dead-letters.ts) and terminates the message.
//
// At least once: a kernel that dies holding a message (mid-handler, or after
// handling it but before its ack arrived) leaves it to the server, which hands
// it out again after BUS_NATS_ACK_WAIT_MS. A long handler keeps its message by
// telling the server it is still working. The ids of the last SEEN_KEPT events
// a subscription handled are kept, and a group's members in every kernel record
// what they handled in the group's ledger before acking (ledger.ts), so an
// event handed out again after its ack was lost — to this member or to one in
// another kernel — is acked without reaching a handler twice.
import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { runInTrace, toMcError, type Subscription, type ToolContext, type TraceNode } from '../../kernel/index.ts';
import type { Env } from '../bus/rules.ts';
import { decodeEnvelope } from './codec.ts';
import type { DeadLetters } from './dead-letters.ts';
import type { GroupLedger } from './ledger.ts';
import { Recent } from './recent.ts';

const SEEN_KEPT = 1000;
// Messages one pull may take. Those waiting in a batch are held from the
// group's other members, and their ack wait runs meanwhile: so a subscription
// pulls one at a time until its handlers prove fast (a whole batch's worth
// within an eighth of the ack wait), one that waited behind handlers is kept
// alive (working) before its turn, a subscription whose handler failed goes
// back to one at a time, and only if a handler suddenly took half the
// ack wait does the rest of its batch go back (nak) rather than risk another
// kernel getting it meanwhile — the one case where the server counts a
// delivery no handler saw.
const PULL_BATCH = 16;
// How long one pull waits for a message: also how soon a subscription the
// kernel removed (its plugin stopped) stops pulling.
const PULL_EXPIRES_MS = 1000;
// After a failed pull (the connection is reconnecting): wait before the next.
const PULL_PAUSE_MS = 250;

export interface PullerOptions {
  ctx: ToolContext;
  retryBaseMs: number;
  ackWaitMs: number;
  ends: DeadLetters;
  /** The event's trace node in this kernel: the publisher's, or one recorded here to continue its trace. */
  node(env: Env): TraceNode;
  /** The puller has stopped, for good (subscription gone, or the bus shutting down). */
  ended(p: Puller): void;
  /** A group's shared record of the events it handled (ledger.ts); none for a broadcast subscription, which no other kernel takes over. */
  ledger?: GroupLedger;
}

export class Puller {
  readonly sub: Subscription;
  readonly consumer: Consumer;
  /** A message is in hand (idle() waits for it). */
  busy = false;
  #o: PullerOptions;
  #seen = new Recent(SEEN_KEPT);
  /** Acks waiting for the ledger's record of their event. */
  #acking = new Set<Promise<void>>();
  #batch?: ConsumerMessages;
  #stopped = false;
  #done: Promise<void>;

  constructor(sub: Subscription, consumer: Consumer, o: PullerOptions) {
    this.sub = sub;
    this.consumer = consumer;
    this.#o = o;
    this.#done = this.#loop();
  }

  /** Stops pulling; resolves once the message in hand (if any) is acked or nak'd. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#batch?.close();
    await this.#done;
    await Promise.all(this.#acking);
  }

  #live(): boolean {
    return !this.#stopped && this.#o.ctx.subscriptions.get(this.sub.id) !== undefined;
  }

  async #loop(): Promise<void> {
    let failing = false;
    let batchSize = 1;
    try {
      while (this.#live()) {
        try {
          this.#batch = await this.consumer.fetch({ max_messages: batchSize, expires: PULL_EXPIRES_MS });
          // Time spent in handlers: the most any message of the batch can have waited behind them.
          let handling = 0;
          let handled = 0;
          let failed = false;
          for await (const msg of this.#batch) {
            // Arrived as the subscription went away, or behind a handler that took half the ack wait: straight back, for another member.
            if (!this.#live() || handling > this.#o.ackWaitMs / 2) {
              msg.nak();
              continue;
            }
            if (handling > this.#o.ackWaitMs / 8) msg.working();
            const started = performance.now();
            if (!(await this.#handle(msg))) failed = true;
            handling += performance.now() - started;
            handled++;
          }
          // A failing subscription takes one at a time too: its failures go back to the group, and it may be dropped.
          if (handled) batchSize = !failed && (handling / handled) * PULL_BATCH < this.#o.ackWaitMs / 8 ? PULL_BATCH : 1;
          failing = false;
        } catch (err) {
          if (!this.#live()) break;
          // Once per outage, not once per try.
          if (!failing) this.#o.ctx.log.warn(`pulling '${this.sub.topic}' for ${this.sub.owner} failed, trying again every ${PULL_PAUSE_MS} ms: ${(err as Error).message}`, { subscriber: this.sub.owner, topic: this.sub.topic });
          failing = true;
          await new Promise((resolve) => setTimeout(resolve, PULL_PAUSE_MS).unref());
        }
      }
    } finally {
      this.#o.ended(this);
    }
  }

  /** Handles one message; false when its handler failed (or it was no envelope). */
  async #handle(msg: JsMsg): Promise<boolean> {
    const { ctx, ends } = this.#o;
    const sub = this.sub;
    let env: Env;
    try {
      env = decodeEnvelope(msg.data);
    } catch (err) {
      ctx.log.error(`a message on ${msg.subject} is not a microcore.v1.Envelope (published by something other than the bus?); terminated: ${(err as Error).message}`, { topic: sub.topic });
      msg.term();
      return false;
    }
    if (this.#seen.has(env.id)) return (msg.ack(), true);
    const { ledger } = this.#o;
    // Handed out again: a member in another kernel may have handled it and died before its ack.
    if (msg.info.deliveryCount > 1 && ledger && (await ledger.handled(env.id).catch(() => false))) {
      this.#seen.remember(env.id, true);
      msg.ack();
      return true;
    }
    this.busy = true;
    const attempt = msg.info.deliveryCount;
    const node = this.#o.node(env);
    const working = setInterval(() => msg.working(), Math.max(100, this.#o.ackWaitMs / 3));
    const started = performance.now();
    try {
      // Handed out more often than allowed without an answer: a kernel died holding it, or its nak was lost.
      if (attempt > sub.maxRetries + 1) {
        await ends.giveUp(sub, env, attempt - 1, { code: 'MC_ERR_HANDLER_FAILED', message: `${sub.owner} got it ${attempt - 1} times with no answer (a kernel stopped while handling it?)` });
        msg.term();
        return false;
      }
      try {
        await runInTrace({ traceId: env.traceId, eventId: env.id }, () => ctx.invoke(sub.owner, sub.handlerId, { case: 'event', value: { ...env, attempt } }));
      } catch (err) {
        const error = toMcError(err, 'MC_ERR_HANDLER_FAILED', `${sub.owner} handling '${env.topic}'`);
        this.#react(node, started, attempt, error.code);
        if (attempt <= sub.maxRetries) {
          msg.nak(this.#o.retryBaseMs * 2 ** (attempt - 1));
          return false;
        }
        await ends.giveUp(sub, env, attempt, { code: error.code, message: error.message });
        msg.term();
        return false;
      }
      this.#react(node, started, attempt);
      this.#seen.remember(env.id, true);
      ends.delivered(sub);
      this.#ack(msg, env);
      return true;
    } finally {
      clearInterval(working);
      this.busy = false;
    }
  }

  /**
   * Acks a handled event; with a ledger, once the ledger has it. The next event
   * is handled meanwhile: the write costs the server work, not this loop's time.
   */
  #ack(msg: JsMsg, env: Env): void {
    const { ledger, ctx } = this.#o;
    if (!ledger) return void msg.ack();
    const done: Promise<void> = ledger
      .record(env.id)
      .catch((err: Error) => ctx.log.warn(`could not record '${env.topic}' (${env.id}) as handled by ${this.sub.owner}'s group; acked anyway`, { error: err.message, topic: env.topic }))
      .then(() => msg.ack())
      .finally(() => this.#acking.delete(done));
    this.#acking.add(done);
  }

  #react(node: TraceNode, started: number, attempts: number, code?: string): void {
    this.#o.ctx.tracer.react(node, { identity: this.sub.owner, ms: performance.now() - started, ok: !code, code, attempts });
  }
}
