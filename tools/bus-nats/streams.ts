// Where the bus keeps its events on the NATS server, under NATS_PREFIX (so
// several apps, or several test runs, share one server without meeting):
//
//   <prefix>.ev.<topic>        events, in stream <prefix>_events
//   <prefix>.dlq.<topic>       dead letters (topic _dlq.<topic>), in stream <prefix>_dlq
//   <prefix>.rq.<topic>        requests: core NATS, no stream
//
// The events stream keeps an event while some consumer still has to take it
// (interest retention): an event nobody subscribes to is dropped at once, as the
// in-process bus drops it, and one a consumer group has not acked yet waits
// there however long its kernels are down. The dead-letter stream also keeps
// what no one takes (7 days), so a dead letter outlives the moment it was made.
// A consumer group is one durable consumer per (topic, group), its name a hash
// of both (durable names allow no dots or slashes; topics and identities have them).
import { createHash } from 'node:crypto';
import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, type ConsumerConfig, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { mcError } from '../../kernel/index.ts';

const DLQ = '_dlq.';
const DLQ_KEEP_MS = 7 * 24 * 3600_000;
// Publishes retried within this window with the same Nats-Msg-Id (the envelope id) are stored once.
const DUPLICATE_WINDOW_MS = 120_000;
// An abandoned broadcast consumer (its kernel died) is removed by the server after this long without a pull.
const BROADCAST_IDLE_MS = 60_000;


export interface Layout {
  prefix: string;
  /** How long a delivery may go unacked before the server hands it out again (the kernel holding it died). */
  ackWaitMs: number;
}

export const streamOf = (l: Layout, topic: string) => (topic.startsWith(DLQ) ? `${l.prefix}_dlq` : `${l.prefix}_events`);
export const subjectOf = (l: Layout, topic: string) => (topic.startsWith(DLQ) ? `${l.prefix}.dlq.${topic.slice(DLQ.length)}` : `${l.prefix}.ev.${topic}`);
export const requestSubject = (l: Layout, topic: string) => `${l.prefix}.rq.${topic}`;

/** Creates both streams unless they exist (another kernel made them, or an earlier run). */
export async function ensureStreams(jsm: JetStreamManager, l: Layout): Promise<void> {
  const common = { storage: StorageType.File, duplicate_window: nanos(DUPLICATE_WINDOW_MS) };
  await ensureStream(jsm, { name: `${l.prefix}_events`, subjects: [`${l.prefix}.ev.>`], retention: RetentionPolicy.Interest, ...common });
  await ensureStream(jsm, { name: `${l.prefix}_dlq`, subjects: [`${l.prefix}.dlq.>`], retention: RetentionPolicy.Limits, max_age: nanos(DLQ_KEEP_MS), ...common });
}

async function ensureStream(jsm: JetStreamManager, cfg: Parameters<JetStreamManager['streams']['add']>[0]): Promise<void> {
  try {
    await jsm.streams.info(cfg.name);
    return;
  } catch {
    // Not there yet: add it below (another kernel may win the race; then it exists).
  }
  try {
    await jsm.streams.add(cfg);
  } catch (err) {
    await jsm.streams.info(cfg.name).catch(() => {
      throw mcError('MC_ERR_TOOL_SETUP', `the bus could not create the NATS stream ${cfg.name}: ${(err as Error).message}`, { stream: cfg.name }, err, 'Check that the server runs JetStream (nats-server -js) and has room (max streams, storage).');
    });
  }
}

/** The durable consumer a consumer group shares across every kernel. */
export function groupConsumer(l: Layout, topic: string, group: string): Partial<ConsumerConfig> & { durable_name: string } {
  const hash = createHash('sha256').update(`${topic}\u0000${group}`).digest('hex').slice(0, 24);
  return {
    durable_name: `g_${hash}`,
    description: `microcore bus: group '${group}' of '${topic}'`,
    ...common(l, topic),
  };
}

/** A broadcast subscription's own consumer: every event, for this subscription only; gone with it. */
export function broadcastConsumer(l: Layout, topic: string): Partial<ConsumerConfig> {
  return { description: `microcore bus: a broadcast subscription to '${topic}'`, inactive_threshold: nanos(BROADCAST_IDLE_MS), ...common(l, topic) };
}

// Retries are the bus's own (nak with a delay, dead letters published by the
// bus, which knows the error): the server never stops redelivering by itself.
function common(l: Layout, topic: string): Partial<ConsumerConfig> {
  return { filter_subject: subjectOf(l, topic), ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.New, ack_wait: nanos(l.ackWaitMs), max_deliver: -1 };
}
