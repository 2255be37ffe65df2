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
import { mcError, runInTrace, toMcError, type JsValue, type Subscription, type ToolContext, type TraceNode } from '../../kernel/index.ts';
import { DROPPED_TOPIC, type DeliveryCounts, type Env } from './rules.ts';

export type { DeliveryCounts } from './rules.ts';
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
/** A subscription's events waiting, from `head` on (taken from the front without shifting the array). */
interface Queue {
  sub: Subscription;
  items: (Item | undefined)[];
  head: number;
}

/** What one attempt came to: delivered, the subscription gone, or failed (item.error says why). */
const DELIVERED = 0;
const GONE = 1;
const FAILED = 2;
type Attempt = typeof DELIVERED | typeof GONE | typeof FAILED;

// A queue whose handlers answer at once is emptied in one go, but lets other
// work in (the publisher's next step, other queues) this often.
const YIELD_EVERY = 256;
// How long a new version's subscription waits for its predecessor's event in flight.
const HOLD_LIMIT_MS = 10_000;

export interface DeliveryOptions {
  ctx: ToolContext;
  retryBaseMs: number;
  /** Dead-lettered events in a row after which a subscription is dropped. */
  poisonAfter: number;
  /** Publishes an event of the bus's own (a dead letter, a drop) under the cause's trace. */
  raise(topic: string, payload: JsValue, cause: Env): void;
}


export class Delivery {
  #o: DeliveryOptions;
  #seq = 0;
  #closed = false;
  #turn = new Map<string, number>();
  #queues = new Map<string, Queue>();
  /** Queues waiting for their predecessor's to end, by the predecessor's subscription id. */
  #held = new Map<string, Queue>();
  #deadStreak = new Map<string, number>();
  #pumping = 0;
  #whenIdle: (() => void)[] = [];
  #counts: DeliveryCounts = { delivered: 0, deadLettered: 0 };

  constructor(o: DeliveryOptions) {
    this.#o = o;
  }

  get counts(): DeliveryCounts {
    return { ...this.#counts };
  }

  /** Round-robin over `subs`, one turn counter per key. */
  next(key: string, subs: readonly Subscription[]): Subscription {
    const n = this.#turn.get(key) ?? 0;
    this.#turn.set(key, n + 1);
    return subs[n % subs.length]!;
  }

  /** One subscription per consumer group, plus every broadcast subscription. */
  fanOut(env: Env, node: TraceNode): void {
    const seq = ++this.#seq;
    const subs = this.#o.ctx.subscriptions.forTopic(env.topic);
    // The common case, one subscriber: no grouping to do.
    if (subs.length === 1) {
      const sub = subs[0]!;
      this.#enqueue(sub, [{ env, node, seq, tries: 0 }]);
      return;
    }
    const groups = new Map<string, Subscription[]>();
    for (const sub of subs) {
      if (sub.broadcast) this.#enqueue(sub, [{ env, node, seq, tries: 0 }]);
      else groups.set(sub.group, [...(groups.get(sub.group) ?? []), sub]);
    }
    for (const [group, members] of groups) this.#enqueue(this.next(`${env.topic}\u0000${group}`, members), [{ env, node, seq, tries: 0 }]);
  }

  /** Resolves once every queue is empty (events that deliveries cause included). */
  async idle(): Promise<void> {
    while (this.#pumping) await new Promise<void>((resolve) => this.#whenIdle.push(resolve));
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
      for (const item of items) insertBySeq(queue, item);
      return;
    }
    const fresh: Queue = { sub, items, head: 0 };
    this.#queues.set(sub.id, fresh);
    this.#pumping++;
    // The new version of a plugin (a hot swap) waits for its predecessor's queue:
    // the event in its hands finishes and the rest moves here first, so events
    // still go one at a time, in publish order.
    if (sub.succeeds && this.#queues.has(sub.succeeds)) this.#hold(sub.succeeds, fresh);
    else this.#pump(fresh);
  }

  #hold(predecessor: string, queue: Queue): void {
    this.#held.set(predecessor, queue);
    // A predecessor whose handler never answers must not hold its successor for ever.
    setTimeout(() => {
      if (this.#held.get(predecessor) !== queue) return;
      this.#held.delete(predecessor);
      this.#o.ctx.log.warn(`${queue.sub.owner}'s new version takes '${queue.sub.topic}' events before its previous version finished one (it has not answered for ${HOLD_LIMIT_MS} ms)`, { subscriber: queue.sub.owner, topic: queue.sub.topic });
      this.#pump(queue);
    }, HOLD_LIMIT_MS).unref();
  }

  // Runs at once, inside the publish that filled the queue, for as long as its
  // handlers answer at once: no promise, no turn of the microtask queue per
  // event. The first answer that is a promise hands the queue to #resume.
  #pump(queue: Queue): void {
    const { sub } = queue;
    try {
      let inARow = 0;
      for (let item = take(queue); item; item = take(queue)) {
        if (this.#closed) {
          this.#deadLetter(sub, item, item.error ?? { code: 'MC_ERR_TOOL_UNAVAILABLE', message: `the bus shut down before '${item.env.topic}' reached ${sub.owner}` });
          continue;
        }
        const delivered = this.#deliver(sub, item);
        if (typeof delivered !== 'boolean') return void this.#resume(queue, item, delivered);
        if (!delivered) return this.#gone(queue, item);
        // Let other work in (the publisher's next step, other queues) now and then.
        if (++inARow === YIELD_EVERY) return queueMicrotask(() => this.#pump(queue));
      }
    } catch (err) {
      this.#stopped(queue, err);
      return;
    }
    this.#drained(queue);
  }

  async #resume(queue: Queue, item: Item, pending: Promise<boolean>): Promise<void> {
    let delivered;
    try {
      delivered = await pending;
    } catch (err) {
      this.#stopped(queue, err);
      return;
    }
    if (delivered) this.#pump(queue);
    else this.#gone(queue, item);
  }

  /** The subscription went away while `item` was its next: the rest of its queue moves on (#reroute). */
  #gone(queue: Queue, item: Item): void {
    const { sub } = queue;
    this.#queues.delete(sub.id);
    this.#deadStreak.delete(sub.id);
    this.#reroute(sub, [item, ...rest(queue)]);
    this.#drained(queue);
  }

  // #deliver and #deadLetter do not throw; this is the last word if they ever do.
  #stopped(queue: Queue, err: unknown): void {
    this.#o.ctx.log.error(`delivery to ${queue.sub.owner} stopped: ${(err as Error).message}`, { subscriber: queue.sub.owner, topic: queue.sub.topic });
    this.#drained(queue);
  }

  /** A queue's pump has ended (each ends once): the bus is idle when none is left. */
  #drained(queue: Queue): void {
    if (this.#queues.get(queue.sub.id) === queue) this.#queues.delete(queue.sub.id);
    const successor = this.#held.get(queue.sub.id);
    if (successor) {
      this.#held.delete(queue.sub.id);
      this.#pump(successor);
    }
    if (--this.#pumping === 0) for (const resolve of this.#whenIdle.splice(0)) resolve();
  }

  /** Attempts until delivered or out of retries; false if the subscription went away first. At once when the first attempt answers at once. */
  #deliver(sub: Subscription, item: Item): boolean | Promise<boolean> {
    // Out of attempts already (moved here after failing elsewhere), or the bus shut down during a backoff.
    if (item.tries > sub.maxRetries || (this.#closed && item.error)) return this.#giveUp(sub, item);
    const first = this.#attempt(sub, item);
    if (first === DELIVERED) return true;
    if (first === GONE) return false;
    return this.#retry(sub, item, first);
  }

  async #retry(sub: Subscription, item: Item, pending: Attempt | Promise<Attempt>): Promise<boolean> {
    for (let result = await pending; ; result = await this.#attempt(sub, item)) {
      if (result === DELIVERED) return true;
      if (result === GONE) return false;
      // Shutting down: no more attempts (the plugins are going away too).
      if (this.#closed || item.tries > sub.maxRetries) return this.#giveUp(sub, item);
      await sleep(this.#o.retryBaseMs * 2 ** (item.tries - 1));
      if (this.#closed) return this.#giveUp(sub, item);
    }
  }

  #attempt(sub: Subscription, item: Item): Attempt | Promise<Attempt> {
    const ctx = this.#o.ctx;
    if (!ctx.subscriptions.get(sub.id)) return GONE;
    const { env } = item;
    const attempt = ++item.tries;
    const started = performance.now();
    // Each subscriber gets its own copy: a handler that changes its event changes no one else's.
    const event: Env = { id: env.id, topic: env.topic, payload: env.payload, traceId: env.traceId, parentId: env.parentId, source: env.source, timeUnixMs: env.timeUnixMs, key: env.key, attempt };
    let answer;
    try {
      answer = runInTrace({ traceId: env.traceId, eventId: env.id }, () => ctx.invoke(sub.owner, sub.handlerId, { case: 'event', value: event }));
    } catch (err) {
      return this.#failed(sub, item, started, err);
    }
    if (!(answer instanceof Promise)) return this.#delivered(sub, item, started);
    return answer.then(
      () => this.#delivered(sub, item, started),
      (err: unknown) => this.#failed(sub, item, started, err),
    );
  }

  #delivered(sub: Subscription, item: Item, started: number): Attempt {
    this.react(item.node, sub, started, item.tries);
    if (this.#deadStreak.size !== 0) this.#deadStreak.delete(sub.id);
    this.#counts.delivered++;
    return DELIVERED;
  }

  #failed(sub: Subscription, item: Item, started: number, err: unknown): Attempt {
    const error = toMcError(err, 'MC_ERR_HANDLER_FAILED', `${sub.owner} handling '${item.env.topic}'`);
    item.error = { code: error.code, message: error.message };
    this.react(item.node, sub, started, item.tries, error.code);
    return FAILED;
  }

  #giveUp(sub: Subscription, item: Item): true {
    this.#deadLetter(sub, item, item.error!);
    if (!this.#closed) this.#maybeDrop(sub, item);
    return true;
  }

  /** The events a removed subscription still had: to the rest of its group, else to the dead letters. */
  #reroute(gone: Subscription, items: Item[]): void {
    // A broadcast subscription's only other "member" is itself subscribed again by
    // the same handler (a sidecar after its restart, a wasm module after its
    // reboot), or by the new version of its plugin (a hot reload).
    const live = this.#o.ctx.subscriptions.forTopic(gone.topic);
    const rest = gone.broadcast ? live.filter((s) => s.broadcast && ((s.owner === gone.owner && s.handlerId === gone.handlerId) || s.succeeds === gone.id)) : live.filter((s) => !s.broadcast && s.group === gone.group);
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
function insertBySeq(queue: Queue, item: Item): void {
  const { items } = queue;
  let at = items.length;
  while (at > queue.head && items[at - 1]!.seq > item.seq) at--;
  if (at === items.length) items.push(item);
  else items.splice(at, 0, item);
}

/** The next event of a queue; the array is compacted now and then, not shifted every time. */
function take(queue: Queue): Item | undefined {
  const { items } = queue;
  if (queue.head === items.length) {
    items.length = 0;
    queue.head = 0;
    return undefined;
  }
  const item = items[queue.head];
  items[queue.head++] = undefined;
  if (queue.head >= 1024 && queue.head * 2 >= items.length) {
    items.splice(0, queue.head);
    queue.head = 0;
  }
  return item;
}

/** Everything still waiting in a queue, which is emptied. */
function rest(queue: Queue): Item[] {
  const left = queue.items.slice(queue.head) as Item[];
  queue.items.length = 0;
  queue.head = 0;
  return left;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
