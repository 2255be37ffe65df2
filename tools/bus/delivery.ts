// How the bus hands events to subscriptions. Each subscription has one queue and
// gets its events one at a time, in publish order, keyed or not: the one order
// guarantee every hosting can keep. (Handing a sidecar many events at once let
// grpc-go run them in whatever order its goroutines were scheduled: a Go
// subscriber saw 20 publishes as [19, 0, 1, …].) Every event leaves a queue
// delivered or dead-lettered: when a subscription goes away (unsubscribed,
// dropped, its sidecar restarted, its wasm module rebooted, its plugin stopped)
// the events still waiting for it move to another member of its group, merged
// by publish order, or else go to `_dlq.<topic>`. The queue notices the removal
// before it hands out its next event, so a wasm module that booted again or a
// sidecar that restarted in time gets its own backlog back.
import { mcError, newSpanId, runInTrace, toMcError, type JsValue, type Plain, type Subscription, type ToolContext, type TraceNode } from '../../kernel/index.ts';
import type { Envelope } from '../../proto/gen/microcore/v1/bus_pb.js';

type Env = Plain<Envelope>;
export const DROPPED_TOPIC = 'system.subscriber.dropped';
interface Failure {
  code: string;
  message: string;
}
/** One event for one subscription. `tries` counts attempts so far, under earlier subscriptions too. */
interface Item {
  env: Env;
  node: TraceNode;
  seq: number;
  tries: number;
  error?: Failure;
}
interface Queue {
  sub: Subscription;
  items: Item[];
}

export interface DeliveryOptions {
  ctx: ToolContext;
  retryBaseMs: number;
  /** Dead-lettered events in a row after which a subscription is dropped. */
  poisonAfter: number;
  /** Publishes an event of the bus's own (a dead letter, a drop) under the cause's trace. */
  raise(topic: string, payload: JsValue, cause: Env): void;
}

/** What became of the events the bus accepted, per subscription they went to. */
export interface DeliveryCounts {
  delivered: number;
  deadLettered: number;
}

export class Delivery {
  #o: DeliveryOptions;
  #seq = 0;
  #closed = false;
  #turn = new Map<string, number>();
  #queues = new Map<string, Queue>();
  #deadStreak = new Map<string, number>();
  #inFlight = new Set<Promise<void>>();
  #counts: DeliveryCounts = { delivered: 0, deadLettered: 0 };

  constructor(o: DeliveryOptions) {
    this.#o = o;
  }

  get counts(): DeliveryCounts {
    return { ...this.#counts };
  }

  /** Round-robin over `subs`, one turn counter per key. */
  next(key: string, subs: Subscription[]): Subscription {
    const n = this.#turn.get(key) ?? 0;
    this.#turn.set(key, n + 1);
    return subs[n % subs.length]!;
  }

  /** One subscription per consumer group, plus every broadcast subscription. */
  fanOut(env: Env, node: TraceNode): void {
    const seq = ++this.#seq;
    const groups = new Map<string, Subscription[]>();
    for (const sub of this.#o.ctx.subscriptions.forTopic(env.topic)) {
      if (sub.broadcast) this.#enqueue(sub, [{ env, node, seq, tries: 0 }]);
      else groups.set(sub.group, [...(groups.get(sub.group) ?? []), sub]);
    }
    for (const [group, subs] of groups) this.#enqueue(this.next(`${env.topic}\u0000${group}`, subs), [{ env, node, seq, tries: 0 }]);
  }

  /** Resolves once every queue is empty (events that deliveries cause included). */
  async idle(): Promise<void> {
    while (this.#inFlight.size) await Promise.allSettled([...this.#inFlight]);
  }

  /**
   * No more handing out or retrying: what is still queued, and an attempt that
   * fails from now on, is dead-lettered at once. Every plugin has stopped by now,
   * so those dead letters are logged and counted, not published.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.idle();
  }

  #enqueue(sub: Subscription, items: Item[]): void {
    const queue = this.#queues.get(sub.id);
    if (queue) {
      for (const item of items) insertBySeq(queue.items, item);
      return;
    }
    const fresh = { sub, items };
    this.#queues.set(sub.id, fresh);
    const pump = this.#pump(fresh);
    this.#inFlight.add(pump);
    void pump.finally(() => this.#inFlight.delete(pump));
  }

  async #pump(queue: Queue): Promise<void> {
    const { sub, items } = queue;
    try {
      for (let item = items.shift(); item; item = items.shift()) {
        if (this.#closed) {
          this.#deadLetter(sub, item, item.error ?? { code: 'MC_ERR_TOOL_UNAVAILABLE', message: `the bus shut down before '${item.env.topic}' reached ${sub.owner}` });
        } else if (!(await this.#deliver(sub, item))) {
          this.#queues.delete(sub.id);
          this.#deadStreak.delete(sub.id);
          this.#reroute(sub, [item, ...items.splice(0)]);
          return;
        }
      }
    } finally {
      if (this.#queues.get(sub.id) === queue) this.#queues.delete(sub.id);
    }
  }

  /** Attempts until delivered or out of retries; false if the subscription went away first. */
  async #deliver(sub: Subscription, item: Item): Promise<boolean> {
    const { env, node } = item;
    const ctx = this.#o.ctx;
    while (item.tries <= sub.maxRetries) {
      // The bus shut down during a backoff: no more attempts.
      if (this.#closed && item.error) break;
      if (!ctx.subscriptions.get(sub.id)) return false;
      const attempt = ++item.tries;
      const started = performance.now();
      try {
        await runInTrace({ traceId: env.traceId, spanId: newSpanId(), eventId: env.id }, () => ctx.invoke(sub.owner, sub.handlerId, { case: 'event', value: { ...env, attempt } }));
        this.react(node, sub, started, attempt);
        this.#deadStreak.delete(sub.id);
        this.#counts.delivered++;
        return true;
      } catch (err) {
        const error = toMcError(err, 'MC_ERR_HANDLER_FAILED', `${sub.owner} handling '${env.topic}'`);
        item.error = { code: error.code, message: error.message };
        this.react(node, sub, started, attempt, error.code);
        // Shutting down: no more attempts (the plugins are going away too).
        if (this.#closed) break;
        if (attempt <= sub.maxRetries) await sleep(this.#o.retryBaseMs * 2 ** (attempt - 1));
      }
    }
    this.#deadLetter(sub, item, item.error!);
    if (!this.#closed) this.#maybeDrop(sub, item);
    return true;
  }

  /** The events a removed subscription still had: to the rest of its group, else to the dead letters. */
  #reroute(gone: Subscription, items: Item[]): void {
    // A broadcast subscription's only other "member" is itself subscribed again by
    // the same handler: a sidecar after its restart, a wasm module after its reboot.
    const live = this.#o.ctx.subscriptions.forTopic(gone.topic);
    const rest = gone.broadcast ? live.filter((s) => s.broadcast && s.owner === gone.owner && s.handlerId === gone.handlerId) : live.filter((s) => !s.broadcast && s.group === gone.group);
    if (rest.length === 0) {
      const error = mcError('MC_ERR_BUS_NO_SUBSCRIBER', `${gone.owner}'s subscription to '${gone.topic}' ended with ${items.length} event(s) still to deliver, and no other member of ${gone.broadcast ? 'it (a broadcast subscription)' : `group '${gone.group}'`} is subscribed`, { topic: gone.topic, subscriber: gone.owner });
      for (const item of items) this.#deadLetter(gone, item, { code: error.code, message: error.message });
      return;
    }
    const moved = new Map<Subscription, Item[]>();
    for (const item of items) {
      const to = gone.broadcast ? rest[0]! : this.next(`${gone.topic}\u0000${gone.group}`, rest);
      moved.set(to, [...(moved.get(to) ?? []), item]);
    }
    for (const [to, list] of moved) this.#enqueue(to, list);
  }

  // Never throws: a queue would stop with events still in it, and nobody awaits it.
  #deadLetter(sub: Subscription, item: Item, error: Failure): void {
    const { env } = item;
    this.#counts.deadLettered++;
    const fields = { code: error.code, subscriber: sub.owner, topic: env.topic, id: env.id };
    if (this.#closed) {
      this.#o.ctx.log.warn(`'${env.topic}' (${env.id}) for ${sub.owner} dead-lettered as the bus shut down (not published: no plugin is left to receive it): ${error.message}`, fields);
      return;
    }
    this.#o.ctx.log.warn(`'${env.topic}' (${env.id}) for ${sub.owner} sent to _dlq.${env.topic} after ${item.tries} attempt(s): ${error.message}`, fields);
    const payload = { event: env, subscriber: sub.owner, attempts: BigInt(item.tries), error: { code: error.code, message: error.message } };
    try {
      this.#o.raise(`_dlq.${env.topic}`, payload as never, env);
    } catch (err) {
      this.#o.ctx.log.error(`could not dead-letter '${env.topic}' (${env.id}): ${(err as Error).message}`, fields);
    }
  }

  #maybeDrop(sub: Subscription, item: Item): void {
    const ctx = this.#o.ctx;
    const streak = (this.#deadStreak.get(sub.id) ?? 0) + 1;
    this.#deadStreak.set(sub.id, streak);
    if (streak < this.#o.poisonAfter || !ctx.subscriptions.remove(sub.id)) return;
    this.#deadStreak.delete(sub.id);
    const reason = `${streak} events in a row failed every attempt; last: ${item.error?.code}`;
    ctx.log.error(`dropped ${sub.owner}'s subscription to '${sub.topic}': ${reason}`, { subscriber: sub.owner, topic: sub.topic });
    try {
      this.#o.raise(DROPPED_TOPIC, { subscriptionId: sub.id, topic: sub.topic, subscriber: sub.owner, group: sub.group, reason }, item.env);
    } catch (err) {
      ctx.log.error(`could not announce the drop of ${sub.id}: ${(err as Error).message}`, { subscriber: sub.owner });
    }
  }

  react(node: TraceNode, sub: Subscription, started: number, attempts: number, code?: string): void {
    this.#o.ctx.tracer.react(node, { identity: sub.owner, ms: performance.now() - started, ok: !code, code, attempts });
  }
}

/** Queues are in publish order; moved events join theirs at their place. */
function insertBySeq(items: Item[], item: Item): void {
  let at = items.length;
  while (at > 0 && items[at - 1]!.seq > item.seq) at--;
  items.splice(at, 0, item);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
