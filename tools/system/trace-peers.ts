// One trace across kernels. Each kernel keeps the trace nodes it recorded; a
// request that crossed kernels over the cluster bus left some on each. With
// BUS_DRIVER=nats every kernel answers `<prefix>.traces` with its nodes of the
// trace asked for, and the kernel asked merges them with its own, so the
// parent links (carried in the envelope) join into one tree. Nodes travel as
// JSON with their int64 fields tagged, so they arrive exact.
import type { NatsConnection } from '@nats-io/transport-node';
import { mcError, type KernelLog } from '../../kernel/index.ts';
import { connectNats, type NatsSettings } from '../bus-nats/settings.ts';

/** How long to wait for the other kernels' nodes: the members that answered, or the first silence. */
const MAX_WAIT_MS = 1_000;
const STALL_MS = 150;

export class TracePeers<Node> {
  #nc: NatsConnection;
  #subject: string;
  #kernelId: string;

  private constructor(nc: NatsConnection, subject: string, kernelId: string) {
    this.#nc = nc;
    this.#subject = subject;
    this.#kernelId = kernelId;
  }

  /** Connects and answers the other kernels' questions with `local(traceId)`. */
  static async connect<Node>(settings: NatsSettings, kernelId: string, log: KernelLog, local: (traceId: string) => Node[]): Promise<TracePeers<Node>> {
    const { shownUrl, prefix } = settings;
    let nc: NatsConnection;
    try {
      nc = await connectNats(settings, `microcore-traces-${kernelId}`);
    } catch (err) {
      throw mcError('MC_ERR_TOOL_SETUP', `the system tool cannot reach NATS at NATS_URL=${shownUrl} to join traces across kernels: ${(err as Error).message}`, { setting: 'NATS_URL' }, err, 'Start nats-server (with -js) or fix NATS_URL; or use BUS_DRIVER=memory for a kernel of its own.');
    }
    const subject = `${prefix}.traces`;
    nc.subscribe(subject, {
      // Never throws: a callback that throws ends the client's reader, and with it every subscription of this connection.
      callback: (err, msg) => {
        if (err) return;
        let question: { traceId?: unknown; from?: unknown };
        try {
          question = msg.json();
        } catch {
          return; // not a kernel's question
        }
        const { traceId, from } = question ?? {};
        if (typeof traceId !== 'string' || typeof from !== 'string' || from === kernelId) return; // malformed, or the asker's own
        try {
          msg.respond(JSON.stringify(local(traceId), tagBigints));
        } catch (e) {
          log.warn('system: could not answer for a trace', { traceId, error: (e as Error).message });
        }
      },
    });
    return new TracePeers(nc, subject, kernelId);
  }

  /** The other kernels' nodes of a trace; `others` (when known) lets it stop once they all answered. */
  async gather(traceId: string, others?: number): Promise<Node[]> {
    if (others === 0) return [];
    const question = JSON.stringify({ traceId, from: this.#kernelId });
    const options = others === undefined ? { strategy: 'stall' as const, stall: STALL_MS, maxWait: MAX_WAIT_MS } : { strategy: 'count' as const, maxMessages: others, maxWait: MAX_WAIT_MS };
    const nodes: Node[] = [];
    try {
      for await (const msg of await this.#nc.requestMany(this.#subject, question, options)) {
        try {
          if (msg.data.length) nodes.push(...(JSON.parse(msg.string(), untagBigints) as Node[]));
        } catch {
          // One kernel's garbled answer costs its nodes, not the others'.
        }
      }
    } catch {
      // No other kernel, or one did not answer in time: what arrived is what there is.
    }
    return nodes;
  }

  async close(): Promise<void> {
    await this.#nc.drain().catch(() => {});
  }
}

function tagBigints(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? { $int64: value.toString() } : value;
}

function untagBigints(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && '$int64' in value && Object.keys(value).length === 1) return BigInt((value as { $int64: string }).$int64);
  return value;
}
