// The kernel subscription table: which plugin's handler gets which topic. The bus
// tool adds and reads entries; the context writer and /system/events read them.
// Like the route table, it holds handler ids, not functions, so every hosting's
// subscriptions look alike.
import { randomUUID } from 'node:crypto';
import { mcError } from './errors.ts';

export interface Subscription {
  id: string;
  topic: string;
  /** The identity of the plugin that subscribed. */
  owner: string;
  handlerId: string;
  /** Subscriptions sharing a group share the events; default: the owner. */
  group: string;
  /** Gets every event, whatever its group. */
  broadcast: boolean;
  /** Retries after the first failed delivery. */
  maxRetries: number;
}

const TOPIC = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export function checkTopic(topic: string, who: string): void {
  if (!TOPIC.test(topic)) throw mcError('MC_ERR_BUS_PUBLISH', `${who} used topic ${JSON.stringify(topic)}, which is not dot-separated words of letters, digits, - and _`, { topic });
}

export class SubscriptionTable {
  #subs = new Map<string, Subscription>();

  add(sub: Omit<Subscription, 'id'>): Subscription {
    checkTopic(sub.topic, sub.owner);
    const entry = { ...sub, id: randomUUID() };
    this.#subs.set(entry.id, entry);
    return { ...entry };
  }

  remove(id: string): Subscription | undefined {
    const sub = this.#subs.get(id);
    this.#subs.delete(id);
    return sub;
  }

  removeOwner(owner: string): void {
    for (const [id, s] of this.#subs) if (s.owner === owner) this.#subs.delete(id);
  }

  get(id: string): Subscription | undefined {
    return this.#subs.get(id);
  }

  /** The live subscriptions of a topic, in the order they were added. */
  forTopic(topic: string): Subscription[] {
    return [...this.#subs.values()].filter((s) => s.topic === topic);
  }

  list(): Subscription[] {
    return [...this.#subs.values()].map((s) => ({ ...s })).sort((a, b) => a.topic.localeCompare(b.topic) || a.owner.localeCompare(b.owner));
  }
}
