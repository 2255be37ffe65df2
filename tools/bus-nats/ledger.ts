// Which events a consumer group has handled, shared by every kernel: a NATS KV
// bucket `<prefix>_handled`, key `<group's durable>.<envelope id>`. A kernel
// that dies after a handler finished but before its ack reached the server
// leaves the event to be handed out again (attempt 2 or later) — to a member in
// another kernel, whose own memory of recent ids (puller.ts) has never seen it.
// So a member records each event it handled before acking it, and looks up only
// events handed out again: a first delivery costs one write, not a read.
// Entries expire after KEEP_MS (far past any redelivery's ack wait).
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

const KEEP_MS = 15 * 60_000;

export interface GroupLedger {
  /** Whether a member of the group (in any kernel) handled this event. */
  handled(envelopeId: string): Promise<boolean>;
  /** Records that a member handled it; resolves once the server stored it. */
  record(envelopeId: string): Promise<void>;
}

export class Ledger {
  #kv: KV;

  private constructor(kv: KV) {
    this.#kv = kv;
  }

  /** Opens the bucket, creating it on first use (another kernel may win that race: then it exists). */
  static async open(nc: NatsConnection, prefix: string, ackWaitMs: number): Promise<Ledger> {
    return new Ledger(await new Kvm(nc).create(`${prefix}_handled`, { history: 1, ttl: Math.max(KEEP_MS, 10 * ackWaitMs) }));
  }

  /** The ledger of one group, by its durable consumer's name. */
  of(durable: string): GroupLedger {
    return {
      handled: async (id) => (await this.#kv.get(`${durable}.${id}`)) !== null,
      record: async (id) => {
        await this.#kv.put(`${durable}.${id}`, '');
      },
    };
  }
}
