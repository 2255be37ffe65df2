// The ends of a delivery on NATS: delivered, or dead-lettered to `_dlq.<topic>`
// as { event, subscriber, attempts, error } (the in-process bus's shape), and a
// subscription whose events keep dying dropped and announced on
// `system.subscriber.dropped`. The bus publishes each dead letter itself,
// before it terminates the message, rather than leaving it to the server's
// MAX_DELIVERIES advisory: only the bus knows the handler's error, and the
// advisory carries none.
import type { JsValue, Subscription, ToolContext } from '../../kernel/index.ts';
import { DROPPED_TOPIC, type DeliveryCounts, type Env } from '../bus/rules.ts';

export interface Failure {
  code: string;
  message: string;
}

export interface DeadLetterOptions {
  ctx: ToolContext;
  /** Dead-lettered events in a row after which a subscription is dropped. */
  poisonAfter: number;
  /** Publishes an event of the bus's own, caused by `cause`; resolves once the server has it. */
  raise(topic: string, payload: JsValue, cause: Env): Promise<void>;
}

export class DeadLetters {
  #o: DeadLetterOptions;
  #streak = new Map<string, number>();
  #counts: DeliveryCounts = { delivered: 0, deadLettered: 0 };

  constructor(o: DeadLetterOptions) {
    this.#o = o;
  }

  get counts(): DeliveryCounts {
    return { ...this.#counts };
  }

  delivered(sub: Subscription): void {
    this.#counts.delivered++;
    this.#streak.delete(sub.id);
  }

  /** Never throws: the message is terminated after it either way, and the failure is logged. */
  async giveUp(sub: Subscription, env: Env, attempts: number, error: Failure): Promise<void> {
    const { log } = this.#o.ctx;
    this.#counts.deadLettered++;
    const fields = { code: error.code, subscriber: sub.owner, topic: env.topic, id: env.id };
    log.warn(`'${env.topic}' (${env.id}) for ${sub.owner} sent to _dlq.${env.topic} after ${attempts} attempt(s): ${error.message}`, fields);
    const payload = { event: { ...env, attempt: 1 }, subscriber: sub.owner, attempts: BigInt(attempts), error: { code: error.code, message: error.message } };
    try {
      await this.#o.raise(`_dlq.${env.topic}`, payload as never, env);
    } catch (err) {
      log.error(`could not dead-letter '${env.topic}' (${env.id}): ${(err as Error).message}`, fields);
    }
    await this.#maybeDrop(sub, env, error);
  }

  async #maybeDrop(sub: Subscription, cause: Env, error: Failure): Promise<void> {
    const { ctx } = this.#o;
    const streak = (this.#streak.get(sub.id) ?? 0) + 1;
    this.#streak.set(sub.id, streak);
    if (streak < this.#o.poisonAfter || !ctx.subscriptions.remove(sub.id)) return;
    this.#streak.delete(sub.id);
    const reason = `${streak} events in a row failed every attempt; last: ${error.code}`;
    ctx.log.error(`dropped ${sub.owner}'s subscription to '${sub.topic}': ${reason}`, { subscriber: sub.owner, topic: sub.topic });
    try {
      await this.#o.raise(DROPPED_TOPIC, { subscriptionId: sub.id, topic: sub.topic, subscriber: sub.owner, group: sub.group, reason }, cause);
    } catch (err) {
      ctx.log.error(`could not announce the drop of ${sub.id}: ${(err as Error).message}`, { subscriber: sub.owner });
    }
  }
}
