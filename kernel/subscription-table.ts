// The kernel subscription table: which plugin's handler gets which topic, and
// which plugin declared a topic's shape (Bus.DeclareTopic). The bus tool adds and
// reads entries; the context writer and /system/events read them.
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
  /** The subscription of an earlier version of the plugin this one took over from (a hot reload): its waiting events come here. */
  succeeds?: string;
}

/** A topic's shape as its owner declared it: JSON Schemas, checked by the bus tool. */
export interface TopicDeclaration {
  topic: string;
  owner: string;
  summary: string;
  payloadSchema?: object;
  replySchema?: object;
}

const NONE: readonly Subscription[] = Object.freeze([]);
const TOPIC = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

// Topics seen valid, so a publish to a known topic skips the pattern. Bounded: a
// plugin making up topic names cannot grow it past this.
const VALID = new Set<string>();
const VALID_KEPT = 10_000;

export function checkTopic(topic: string, who: string): void {
  if (VALID.has(topic)) return;
  if (TOPIC.test(topic)) {
    if (VALID.size < VALID_KEPT) VALID.add(topic);
    return;
  }
  throw mcError('MC_ERR_BUS_PUBLISH', `${who} used topic ${JSON.stringify(topic)}, which is not dot-separated words of letters, digits, - and _`, { topic });
}

export class SubscriptionTable {
  #subs = new Map<string, Subscription>();
  // Each topic's subscriptions, in the order they were added: a publish reads it,
  // add and remove replace it (so a list being delivered from never changes).
  #byTopic = new Map<string, readonly Subscription[]>();
  #declared = new Map<string, TopicDeclaration>();
  // What a new version of a plugin subscribed and declared while it booted
  // beside the old one, by owner: nothing is delivered to it before `commit`.
  #staged = new Map<string, { subs: Subscription[]; declared: TopicDeclaration[] }>();

  add(sub: Omit<Subscription, 'id'>): Subscription {
    checkTopic(sub.topic, sub.owner);
    const entry = { ...sub, id: randomUUID() };
    const staged = this.#staged.get(sub.owner);
    if (staged) {
      staged.subs.push(entry);
      return { ...entry };
    }
    this.#list(entry);
    return { ...entry };
  }

  #list(entry: Subscription): void {
    this.#subs.set(entry.id, entry);
    this.#byTopic.set(entry.topic, [...(this.#byTopic.get(entry.topic) ?? []), entry]);
  }

  remove(id: string): Subscription | undefined {
    for (const staged of this.#staged.values()) {
      const at = staged.subs.findIndex((s) => s.id === id);
      if (at >= 0) return staged.subs.splice(at, 1)[0];
    }
    const sub = this.#subs.get(id);
    if (!sub) return undefined;
    this.#subs.delete(id);
    this.#unlist(sub);
    return sub;
  }

  /** A plugin is gone (stopped, restarting, rebooting): its subscriptions and declarations go; a restart declares again. */
  removeOwner(owner: string): void {
    for (const [id, s] of this.#subs) {
      if (s.owner !== owner) continue;
      this.#subs.delete(id);
      this.#unlist(s);
    }
    for (const [topic, d] of this.#declared) if (d.owner === owner) this.#declared.delete(topic);
  }

  declare(d: TopicDeclaration): void {
    checkTopic(d.topic, d.owner);
    const staged = this.#staged.get(d.owner);
    if (staged) staged.declared.push(d);
    else this.#declared.set(d.topic, d);
  }

  /** From now on what `owner` subscribes or declares is held back (its new version boots beside the old one). */
  stage(owner: string): void {
    this.#staged.set(owner, { subs: [], declared: [] });
  }

  /**
   * The new version's subscriptions replace the old one's in one step. Each
   * new subscription matching an old one (topic, group, broadcast) succeeds it:
   * the events the old one still had waiting move to it, in publish order
   * (the bus notices the old one gone before it hands out its next event).
   */
  commit(owner: string): void {
    const staged = this.#staged.get(owner);
    if (!staged) return;
    this.#staged.delete(owner);
    const old = [...this.#subs.values()].filter((s) => s.owner === owner);
    this.removeOwner(owner);
    for (const sub of staged.subs) {
      const before = old.findIndex((o) => o.topic === sub.topic && o.group === sub.group && o.broadcast === sub.broadcast);
      if (before >= 0) sub.succeeds = old.splice(before, 1)[0]!.id;
      this.#list(sub);
    }
    for (const d of staged.declared) this.#declared.set(d.topic, d);
  }

  discard(owner: string): void {
    this.#staged.delete(owner);
  }

  declaration(topic: string): TopicDeclaration | undefined {
    return this.#declared.get(topic);
  }

  declarations(): TopicDeclaration[] {
    return [...this.#declared.values()].sort((a, b) => a.topic.localeCompare(b.topic));
  }

  get(id: string): Subscription | undefined {
    return this.#subs.get(id);
  }

  /** The live subscriptions of a topic, in the order they were added. The table's own list: do not change it. */
  forTopic(topic: string): readonly Subscription[] {
    return this.#byTopic.get(topic) ?? NONE;
  }

  #unlist(sub: Subscription): void {
    const rest = (this.#byTopic.get(sub.topic) ?? NONE).filter((s) => s !== sub);
    if (rest.length) this.#byTopic.set(sub.topic, rest);
    else this.#byTopic.delete(sub.topic);
  }

  list(): Subscription[] {
    return [...this.#subs.values()].map((s) => ({ ...s })).sort((a, b) => a.topic.localeCompare(b.topic) || a.owner.localeCompare(b.owner));
  }
}
